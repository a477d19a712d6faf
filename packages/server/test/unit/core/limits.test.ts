import { describe, expect, it } from "vitest";
import { LimitExceededError, RateLimiter } from "../../../src/core/limits.js";

describe("RateLimiter (a token bucket per key, on the time it is given)", () => {
  it("allows a burst, then one request per 1/rate seconds, per key", () => {
    const limiter = new RateLimiter(2);
    expect([limiter.take("a", 0), limiter.take("a", 0)]).toEqual([0, 0]);
    expect(limiter.take("a", 0)).toBe(500);
    expect(limiter.take("b", 0)).toBe(0);
    expect(limiter.take("a", 250)).toBe(250);
    expect(limiter.take("a", 500)).toBe(0);
    expect(limiter.take("a", 500)).toBe(500);
  });

  it("never saves up more than the burst", () => {
    const limiter = new RateLimiter(1, 3);
    expect(limiter.take("a", 0)).toBe(0);
    const after = 3_600_000;
    expect([limiter.take("a", after), limiter.take("a", after), limiter.take("a", after)]).toEqual([0, 0, 0]);
    expect(limiter.take("a", after)).toBe(1000);
  });

  it("takes fractional rates", () => {
    const limiter = new RateLimiter(0.5, 1);
    expect(limiter.take("a", 0)).toBe(0);
    expect(limiter.take("a", 0)).toBe(2000);
  });
});

describe("LimitExceededError", () => {
  it("is RESOURCE_EXHAUSTED and names its setting", () => {
    const err = new LimitExceededError("webhooks_per_project", "too many", 400);
    expect(err).toMatchObject({
      status: "RESOURCE_EXHAUSTED",
      httpStatus: 400,
      limit: "webhooks_per_project",
      setting: "TIDINGS_MAX_WEBHOOKS_PER_PROJECT",
    });
  });
});
