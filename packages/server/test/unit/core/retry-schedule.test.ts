import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_SCHEDULE_S,
  nextAttemptAt,
  parseRetryAfter,
  parseRetrySchedule,
  retryPolicy,
} from "../../../src/core/retry-schedule.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const HOUR = 3_600_000;

describe("nextAttemptAt", () => {
  it("follows the schedule of docs/wire.md (delivery semantics), then every 8 h, until 24 h after the event", () => {
    const policy = retryPolicy(DEFAULT_RETRY_SCHEDULE_S, () => 0.5);
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((n) => (nextAttemptAt(policy, n, T0, T0) ?? 0) - T0);
    expect(delays.slice(0, 4)).toEqual([5000, 30_000, 120_000, 600_000]);
    expect(delays.slice(9)).toEqual([8 * HOUR, 8 * HOUR]);
    expect(policy.windowMs).toBe(24 * HOUR);
  });

  it("jitters by ±20 %", () => {
    expect(
      nextAttemptAt(
        retryPolicy([10], () => 0),
        1,
        T0,
        T0,
      ),
    ).toBe(T0 + 8000);
    expect(
      nextAttemptAt(
        retryPolicy([10], () => 0.999_999),
        1,
        T0,
        T0,
      ),
    ).toBeCloseTo(T0 + 12_000, -1);
  });

  it("ends at the window: the last retry at its edge, then none", () => {
    const policy = retryPolicy([3600 * 10], () => 0.5);
    expect(nextAttemptAt(policy, 1, T0, T0 + 20 * HOUR)).toBe(T0 + 24 * HOUR);
    expect(nextAttemptAt(policy, 1, T0, T0 + 24 * HOUR)).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  it("reads delta seconds and HTTP dates, never in the past", () => {
    expect(parseRetryAfter("120", T0)).toBe(120_000);
    expect(parseRetryAfter(new Date(T0 + 30_000).toUTCString(), T0)).toBe(30_000);
    expect(parseRetryAfter(new Date(T0 - 30_000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter("soon", T0)).toBeUndefined();
    expect(parseRetryAfter(undefined, T0)).toBeUndefined();
  });
});

describe("parseRetrySchedule", () => {
  it("takes comma-separated seconds and names a bad one", () => {
    expect(parseRetrySchedule("1, 1,2.5")).toEqual([1, 1, 2.5]);
    expect(() => parseRetrySchedule("1,x")).toThrow(/TIDINGS_RETRY_SCHEDULE: "1,x"/);
    expect(() => parseRetrySchedule("-1")).toThrow(/non-negative/);
  });
});
