import { describe, expect, it } from "vitest";
import { latencyBucket, latencyQuantile, LATENCY_BUCKETS_MS, summarize, tallyAttempts } from "../../src/core/attempt-stats.js";

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
    const base = { startedAt: 120_000, latencyMs: 3, requestHeaders: {} };
    const tallies = tallyAttempts(
      [
        { ...base, deliveryId: "a", attemptNumber: 1, statusCode: 200 },
        { ...base, deliveryId: "b", attemptNumber: 2, statusCode: 301 },
        { ...base, deliveryId: "c", attemptNumber: 9, error: "timeout" },
      ],
      [
        { id: "a", state: "succeeded", attemptCount: 1, nextAttemptAt: 0 },
        { id: "b", state: "pending", attemptCount: 2, nextAttemptAt: 0, lastError: "HTTP 301 (redirects are not followed)" },
        { id: "c", state: "failed", attemptCount: 9, nextAttemptAt: 0, lastError: "timeout" },
      ],
    );
    expect(tallies.map((t) => [t.outcome, t.minute, t.error])).toEqual([
      ["succeeded", 2, undefined],
      ["retrying", 2, "HTTP 301 (redirects are not followed)"],
      ["failed", 2, "timeout"],
    ]);
  });

  it("summarizes a window: success rate and median latency", () => {
    expect(summarize([])).toEqual({ attempts: 0, succeeded: 0 });
    expect(summarize([
      { outcome: "succeeded", bucket: 1, count: 3 },
      { outcome: "retrying", bucket: 1, count: 1 },
    ])).toEqual({ attempts: 4, succeeded: 3, successRate: 0.75, medianLatencyMs: 7.5 });
  });
});
