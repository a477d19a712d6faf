import { describe, expect, it } from "vitest";
import { judgeAttempt, settleDelivery, type Attempt, type SendResult } from "../../../src/core/deliveries.js";
import { retryPolicy } from "../../../src/core/retry-schedule.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const HOUR = 3_600_000;
// Jitter pinned to its middle: delays are exactly the schedule's.
const policy = retryPolicy([5, 30, 120], () => 0.5);
const fresh = { attemptCount: 0, windowStartAt: T0 };
const response = (statusCode: number, retryAfter?: string): SendResult => ({
  kind: "response",
  statusCode,
  body: "",
  latencyMs: 1,
  retryAfter,
});

describe("judgeAttempt", () => {
  it("takes any 2xx as success", () => {
    for (const code of [200, 201, 204, 299])
      expect(judgeAttempt(response(code), fresh, policy, T0)).toEqual({ kind: "succeeded" });
  });

  it("takes 410 as the receiver asking never to be called again", () => {
    expect(judgeAttempt(response(410), fresh, policy, T0)).toEqual({ kind: "gone" });
  });

  it("retries 5xx, 4xx and 3xx (redirects are not followed) on the schedule", () => {
    expect(judgeAttempt(response(500), fresh, policy, T0)).toEqual({ kind: "retry", at: T0 + 5000, error: "HTTP 500" });
    expect(judgeAttempt(response(404), { attemptCount: 1, windowStartAt: T0 }, policy, T0)).toEqual({
      kind: "retry",
      at: T0 + 30_000,
      error: "HTTP 404",
    });
    expect(judgeAttempt(response(302), fresh, policy, T0)).toEqual({
      kind: "retry",
      at: T0 + 5000,
      error: "HTTP 302 (redirects are not followed)",
    });
  });

  it("retries a transport failure with its error", () => {
    expect(
      judgeAttempt({ kind: "error", error: "timed out after 10000 ms", latencyMs: 10_000 }, fresh, policy, T0),
    ).toEqual({
      kind: "retry",
      at: T0 + 5000,
      error: "timed out after 10000 ms",
    });
  });

  it("honours Retry-After on 429 and 503 only, clamped to [next step, twice it]", () => {
    expect(judgeAttempt(response(429, "7"), fresh, policy, T0)).toMatchObject({ at: T0 + 7000 });
    expect(judgeAttempt(response(503, "3600"), fresh, policy, T0)).toMatchObject({ at: T0 + 10_000 });
    expect(judgeAttempt(response(429, "0"), fresh, policy, T0)).toMatchObject({ at: T0 + 5000 });
    expect(judgeAttempt(response(500, "7"), fresh, policy, T0)).toMatchObject({ at: T0 + 5000 });
  });

  it("fails for good once the retry window is spent, and retries at its very end before that", () => {
    const late = { attemptCount: 10, windowStartAt: T0 };
    expect(judgeAttempt(response(500), late, policy, T0 + 24 * HOUR - 60_000)).toEqual({
      kind: "retry",
      at: T0 + 24 * HOUR,
      error: "HTTP 500",
    });
    expect(judgeAttempt(response(500), late, policy, T0 + 24 * HOUR)).toEqual({ kind: "failed", error: "HTTP 500" });
  });
});

describe("settleDelivery", () => {
  const attempt: Attempt = { deliveryId: "d1", attemptNumber: 3, startedAt: T0, statusCode: 500, latencyMs: 2 };
  const delivery = { endpointKey: "webhook:w" };

  it("keeps a retry pending until its time, and ends the rest", () => {
    expect(settleDelivery(delivery, attempt, { kind: "retry", at: T0 + 9000, error: "HTTP 500" }, T0 + 10)).toEqual({
      id: "d1",
      endpointKey: "webhook:w",
      state: "pending",
      attemptCount: 3,
      nextAttemptAt: T0 + 9000,
      attemptedAt: T0,
      lastError: "HTTP 500",
      lastStatusCode: 500,
      lastLatencyMs: 2,
    });
    // A success is recorded on the delivery itself: its status, latency and time.
    expect(settleDelivery(delivery, { ...attempt, statusCode: 200 }, { kind: "succeeded" }, T0 + 10)).toEqual({
      id: "d1",
      endpointKey: "webhook:w",
      state: "succeeded",
      attemptCount: 3,
      nextAttemptAt: T0 + 10,
      attemptedAt: T0,
      lastStatusCode: 200,
      lastLatencyMs: 2,
    });
    expect(settleDelivery(delivery, attempt, { kind: "failed", error: "HTTP 500" }, T0 + 10)).toMatchObject({
      state: "failed",
      lastError: "HTTP 500",
    });
    expect(settleDelivery(delivery, { ...attempt, statusCode: 410 }, { kind: "gone" }, T0 + 10)).toMatchObject({
      state: "failed",
      lastError: "HTTP 410 Gone",
      lastStatusCode: 410,
    });
  });
});
