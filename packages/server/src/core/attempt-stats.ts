import { isSuccess, type Attempt, type DeliverySettlement } from "./deliveries.js";

/**
 * What an attempt came to, for the dashboard's charts and rates: a 2xx, a failure to be retried, or a
 * failure after which the delivery gave up (retries exhausted, or a 410).
 */
export type AttemptOutcome = "succeeded" | "retrying" | "failed";
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ["succeeded", "retrying", "failed"];

/**
 * Upper bounds (ms) of the latency buckets attempts are counted in; the last bucket is everything slower.
 * Percentiles are read from these counts, as Prometheus' histogram_quantile reads a histogram.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

const MINUTE_MS = 60_000;

export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS);
}

export function minuteStart(minute: number): number {
  return minute * MINUTE_MS;
}

/** The index of the bucket `latencyMs` falls in: the first whose bound it does not exceed. */
export function latencyBucket(latencyMs: number): number {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
  return index === -1 ? LATENCY_BUCKETS_MS.length : index;
}

/** One attempt as the per-minute tallies count it. */
export interface AttemptTally {
  deliveryId: string;
  attemptNumber: number;
  minute: number;
  outcome: AttemptOutcome;
  bucket: number;
  /** The failure as the delivery records it (`HTTP 500`, `timeout`), for the webhook's last error. */
  error?: string;
  startedAt: number;
}

/** How each attempt counts, from the settlement written with it (the verdict's state). */
export function tallyAttempts(
  attempts: readonly Attempt[],
  settlements: readonly DeliverySettlement[],
): AttemptTally[] {
  const settled = new Map(settlements.map((s) => [s.id, s]));
  return attempts.map((attempt) => {
    const settlement = settled.get(attempt.deliveryId);
    const ok = isSuccess(attempt.statusCode);
    const outcome: AttemptOutcome =
      settlement?.state === "succeeded" || (settlement === undefined && ok)
        ? "succeeded"
        : settlement?.state === "failed"
          ? "failed"
          : "retrying";
    const error =
      outcome === "succeeded"
        ? undefined
        : (settlement?.lastError ??
          attempt.error ??
          (attempt.statusCode !== undefined ? `HTTP ${attempt.statusCode}` : "failed"));
    return {
      deliveryId: attempt.deliveryId,
      attemptNumber: attempt.attemptNumber,
      minute: minuteOf(attempt.startedAt),
      outcome,
      bucket: latencyBucket(attempt.latencyMs),
      ...(error !== undefined ? { error } : {}),
      startedAt: attempt.startedAt,
    };
  });
}

/** A round's attempts counted per project, webhook (`""` for dynamic targets) and minute, as the store adds them up. */
export type MinuteCounts = Tally & { projectId: string; webhookKey: string; minute: number };

/** A webhook's latest failure in a round. */
export interface LastFailure {
  webhookId: string;
  projectId: string;
  deliveryId: string;
  error: string;
  at: number;
}

/**
 * What a round of outcomes adds to the per-minute tallies (one row per project, webhook and minute, so a round
 * costs one write per webhook, not per attempt) and each webhook's latest failure.
 */
export function tallyRound(
  outcomes: readonly { projectId: string; webhookId?: string; attempt: Attempt }[],
  settlements: readonly DeliverySettlement[],
): { minutes: MinuteCounts[]; lastFailures: LastFailure[] } {
  const tallies = tallyAttempts(
    outcomes.map((o) => o.attempt),
    settlements,
  );
  const minutes = new Map<string, MinuteCounts>();
  const lastFailures = new Map<string, LastFailure>();
  tallies.forEach((tally, i) => {
    const { projectId, webhookId } = outcomes[i] as (typeof outcomes)[number];
    const webhookKey = webhookId ?? "";
    const key = `${projectId}\u0000${webhookKey}\u0000${tally.minute}`;
    let row = minutes.get(key);
    if (row === undefined) {
      row = { ...emptyTally(), projectId, webhookKey, minute: tally.minute };
      minutes.set(key, row);
    }
    row[tally.outcome]++;
    row.buckets[tally.bucket] = (row.buckets[tally.bucket] ?? 0) + 1;
    const previous = webhookId === undefined ? undefined : lastFailures.get(webhookId);
    if (
      webhookId !== undefined &&
      tally.error !== undefined &&
      (previous === undefined || previous.at <= tally.startedAt)
    ) {
      lastFailures.set(webhookId, {
        webhookId,
        projectId,
        deliveryId: tally.deliveryId,
        error: tally.error,
        at: tally.startedAt,
      });
    }
  });
  return { minutes: [...minutes.values()], lastFailures: [...lastFailures.values()] };
}

/**
 * The q-quantile (0 < q < 1) of latencies counted per bucket, interpolated linearly inside the bucket it
 * falls in (as histogram_quantile does); undefined when nothing was counted. The open last bucket answers
 * with its lower bound: "slower than 10 s" is all the counts know.
 */
export function latencyQuantile(bucketCounts: readonly number[], q: number): number | undefined {
  const total = bucketCounts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < bucketCounts.length; i++) {
    const count = bucketCounts[i] ?? 0;
    if (count > 0 && seen + count >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
      const upper = LATENCY_BUCKETS_MS[i];
      if (upper === undefined) return lower;
      return lower + (upper - lower) * ((rank - seen) / count);
    }
    seen += count;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
}

/** Attempts counted together (one webhook over a window, or one minute): by outcome, and by latency bucket. */
export interface Tally {
  succeeded: number;
  retrying: number;
  failed: number;
  /** One count per latency bucket (LATENCY_BUCKETS_MS, then the open last bucket). */
  buckets: number[];
}

export const LATENCY_BUCKET_COUNT = LATENCY_BUCKETS_MS.length + 1;

export function emptyTally(): Tally {
  return { succeeded: 0, retrying: 0, failed: 0, buckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0) };
}

/** Success rate and median latency of a set of counts (a webhook's last 24 h). */
export interface WindowSummary {
  attempts: number;
  succeeded: number;
  /** succeeded / attempts; undefined with no attempts. */
  successRate?: number;
  medianLatencyMs?: number;
}

export function summarize(tally: Tally): WindowSummary {
  const attempts = tally.succeeded + tally.retrying + tally.failed;
  const median = latencyQuantile(tally.buckets, 0.5);
  return {
    attempts,
    succeeded: tally.succeeded,
    ...(attempts > 0 ? { successRate: tally.succeeded / attempts } : {}),
    ...(median !== undefined ? { medianLatencyMs: median } : {}),
  };
}

/** One minute of the chart: attempts started in it, by outcome. */
export interface MinuteBar {
  minute: number;
  succeeded: number;
  retrying: number;
  failed: number;
}

/** Latency percentiles of the attempts started in one bin of minutes. */
export interface LatencyPoint {
  minute: number;
  p50?: number;
  p90?: number;
  p99?: number;
}

/**
 * The chart's series over minutes [since, until): a bar per minute (empty minutes included) and latency
 * percentiles per bin of `binMinutes`.
 */
export function timeline(
  minutes: readonly (Tally & { minute: number })[],
  since: number,
  until: number,
  binMinutes: number,
): { bars: MinuteBar[]; latency: LatencyPoint[] } {
  const bars: MinuteBar[] = [];
  for (let minute = since; minute < until; minute++) bars.push({ minute, succeeded: 0, retrying: 0, failed: 0 });
  const bins = Array.from({ length: Math.ceil((until - since) / binMinutes) }, () =>
    new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
  );
  for (const m of minutes) {
    if (m.minute < since || m.minute >= until) continue;
    const bar = bars[m.minute - since] as MinuteBar;
    bar.succeeded += m.succeeded;
    bar.retrying += m.retrying;
    bar.failed += m.failed;
    const bin = bins[Math.floor((m.minute - since) / binMinutes)] as number[];
    m.buckets.forEach((count, i) => (bin[i] = (bin[i] ?? 0) + count));
  }
  const latency = bins.map((bin, i) => {
    const point: LatencyPoint = { minute: since + i * binMinutes };
    const p50 = latencyQuantile(bin, 0.5);
    if (p50 !== undefined)
      Object.assign(point, { p50, p90: latencyQuantile(bin, 0.9), p99: latencyQuantile(bin, 0.99) });
    return point;
  });
  return { bars, latency };
}

/** The shortest window a fitted chart opens on, and the step its length is rounded up to. */
const FITTED_MIN_MINUTES = 5;
const FITTED_STEP_MINUTES = 5;

/**
 * How many minutes a chart shows when no range is asked for: from just before the earliest minute with
 * attempts among `minutes` (read over the last `maxMinutes` before `until`) to `until`, rounded up to 5
 * minutes, at least 5; `maxMinutes` when the traffic spans it all, 5 when there is none. So a new
 * project's first minutes of traffic fill the chart instead of being a sliver at its right edge.
 */
export function fittedSpanMinutes(minutes: readonly MinuteBar[], until: number, maxMinutes: number): number {
  const busy = minutes.filter(
    (m) => m.minute >= until - maxMinutes && m.minute < until && m.succeeded + m.retrying + m.failed > 0,
  );
  if (busy.length === 0) return FITTED_MIN_MINUTES;
  const earliest = Math.min(...busy.map((m) => m.minute));
  // One empty minute before the first bar, so it does not sit on the axis.
  const span = Math.ceil((until - earliest + 1) / FITTED_STEP_MINUTES) * FITTED_STEP_MINUTES;
  return Math.min(maxMinutes, Math.max(FITTED_MIN_MINUTES, span));
}
