import { describe, expect, it } from "vitest";
import {
  emptyTally,
  fittedSpanMinutes,
  latencyBucket,
  latencyQuantile,
  LATENCY_BUCKETS_MS,
  summarize,
  tallyAttempts,
  tallyRound,
  timeline,
} from "../../../src/core/attempt-stats.js";

describe("attempt stats", () => {
  it("puts a latency in the first bucket whose bound it does not exceed, the slowest in the open last one", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(5)).toBe(0);
    expect(latencyBucket(5.01)).toBe(1);
    expect(latencyBucket(10_000)).toBe(LATENCY_BUCKETS_MS.length - 1);
    expect(latencyBucket(60_000)).toBe(LATENCY_BUCKETS_MS.length);
  });

  it("reads quantiles from bucket counts by linear interpolation, as histogram_quantile does", () => {
    const counts = new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
    expect(latencyQuantile(counts, 0.5)).toBeUndefined();
    counts[1] = 10; // ten attempts in (5, 10] ms
    expect(latencyQuantile(counts, 0.5)).toBe(7.5);
    counts[LATENCY_BUCKETS_MS.length] = 30; // thirty slower than 10 s
    expect(latencyQuantile(counts, 0.99)).toBe(10_000);
  });

  it("counts an attempt by the state its delivery settled in, and keeps the delivery's error", () => {
    const base = { startedAt: 120_000, latencyMs: 3 };
    const settled = { endpointKey: "webhook:w", attemptedAt: 120_000, lastLatencyMs: 3 };
    const tallies = tallyAttempts(
      [
        { ...base, deliveryId: "a", attemptNumber: 1, statusCode: 200 },
        { ...base, deliveryId: "b", attemptNumber: 2, statusCode: 301 },
        { ...base, deliveryId: "c", attemptNumber: 9, error: "timeout" },
      ],
      [
        { ...settled, id: "a", state: "succeeded", attemptCount: 1, nextAttemptAt: 0 },
        {
          ...settled,
          id: "b",
          state: "pending",
          attemptCount: 2,
          nextAttemptAt: 0,
          lastError: "HTTP 301 (redirects are not followed)",
        },
        { ...settled, id: "c", state: "failed", attemptCount: 9, nextAttemptAt: 0, lastError: "timeout" },
      ],
    );
    expect(tallies.map((t) => [t.outcome, t.minute, t.error])).toEqual([
      ["succeeded", 2, undefined],
      ["retrying", 2, "HTTP 301 (redirects are not followed)"],
      ["failed", 2, "timeout"],
    ]);
  });

  it("adds a round up into one row per project, webhook and minute, and keeps each webhook's latest failure", () => {
    const settled = { endpointKey: "webhook:w", attemptedAt: 0, lastLatencyMs: 3, attemptCount: 1, nextAttemptAt: 0 };
    const attempt = (deliveryId: string, startedAt: number, statusCode?: number) => ({
      deliveryId,
      attemptNumber: 1,
      startedAt,
      latencyMs: 3,
      ...(statusCode !== undefined ? { statusCode } : { error: "refused" }),
    });
    const { minutes, lastFailures } = tallyRound(
      [
        { projectId: "p", webhookId: "w", attempt: attempt("a", 60_000, 200) },
        { projectId: "p", webhookId: "w", attempt: attempt("b", 61_000, 500) },
        { projectId: "p", webhookId: "w", attempt: attempt("c", 62_000) },
        { projectId: "p", attempt: attempt("d", 125_000, 204) },
      ],
      [
        { ...settled, id: "a", state: "succeeded" },
        { ...settled, id: "b", state: "pending", lastError: "HTTP 500" },
        { ...settled, id: "c", state: "failed", lastError: "refused" },
        { ...settled, id: "d", state: "succeeded" },
      ],
    );
    expect(
      minutes.map((m) => [m.projectId, m.webhookKey, m.minute, m.succeeded, m.retrying, m.failed, m.buckets[0]]),
    ).toEqual([
      ["p", "w", 1, 1, 1, 1, 3],
      ["p", "", 2, 1, 0, 0, 1],
    ]);
    expect(lastFailures).toEqual([{ webhookId: "w", projectId: "p", deliveryId: "c", error: "refused", at: 62_000 }]);
  });

  it("summarizes a window: success rate and median latency", () => {
    expect(summarize(emptyTally())).toEqual({ attempts: 0, succeeded: 0 });
    const tally = emptyTally();
    Object.assign(tally, { succeeded: 3, retrying: 1 });
    tally.buckets[1] = 4;
    expect(summarize(tally)).toEqual({ attempts: 4, succeeded: 3, successRate: 0.75, medianLatencyMs: 7.5 });
  });

  it("lays minutes out as bars, empty ones included, and percentiles per bin", () => {
    const busy = { ...emptyTally(), minute: 11, succeeded: 2, failed: 1 };
    busy.buckets[1] = 3;
    const { bars, latency } = timeline([busy], 10, 14, 2);
    expect(bars.map((b) => [b.minute, b.succeeded, b.failed])).toEqual([
      [10, 0, 0],
      [11, 2, 1],
      [12, 0, 0],
      [13, 0, 0],
    ]);
    expect(latency).toEqual([{ minute: 10, p50: 7.5, p90: 9.5, p99: 9.95 }, { minute: 12 }]);
  });
});

describe("a chart's range fitted to the traffic", () => {
  const bar = (minute: number, succeeded = 1) => ({ minute, succeeded, retrying: 0, failed: 0 });
  const until = 10_000;
  const day = 24 * 60;

  it("spans from just before the first minute with attempts to now, rounded up to 5 minutes, at least 5", () => {
    // A new project: traffic in the last 3 minutes fills most of a 5-minute chart, not a sliver of 6 hours.
    expect(fittedSpanMinutes([bar(until - 3), bar(until - 1)], until, day)).toBe(5);
    expect(fittedSpanMinutes([bar(until - 7)], until, day)).toBe(10);
    expect(fittedSpanMinutes([bar(until - 38), bar(until - 2)], until, day)).toBe(40);
    expect(fittedSpanMinutes([bar(until - 100)], until, day)).toBe(105);
  });

  it("is the shortest range with no traffic, and never longer than the range read", () => {
    expect(fittedSpanMinutes([], until, day)).toBe(5);
    expect(fittedSpanMinutes([bar(until - 5, 0)], until, day)).toBe(5);
    expect(fittedSpanMinutes([bar(until - day), bar(until - 1)], until, day)).toBe(day);
    expect(fittedSpanMinutes([bar(until - day - 60)], until, day)).toBe(5);
  });
});
