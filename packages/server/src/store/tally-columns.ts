import { ATTEMPT_OUTCOMES, LATENCY_BUCKET_COUNT, type Tally } from "../core/attempt-stats.js";

/**
 * The attempt_minutes columns both drivers share: one row per project, webhook and minute, with a count per
 * outcome and per latency bucket, so a window of minutes is one index range of at most that many rows.
 */
export const BUCKET_COLUMNS: readonly string[] = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => `b${i}`);
export const TALLY_COLUMNS: readonly string[] = [...ATTEMPT_OUTCOMES, ...BUCKET_COLUMNS];

/** `SUM(succeeded) AS succeeded, …` */
export const SUM_TALLY = TALLY_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(", ");

/** A tally's values in TALLY_COLUMNS' order. */
export function tallyValues(tally: Tally): number[] {
  return [...ATTEMPT_OUTCOMES.map((outcome) => tally[outcome]), ...BUCKET_COLUMNS.map((_, i) => tally.buckets[i] ?? 0)];
}

/** A row of sums back to a tally (pg returns SUM of BIGINT as a string). */
export function toTally(row: Record<string, unknown>): Tally {
  const n = (column: string) => Number(row[column] ?? 0);
  return { succeeded: n("succeeded"), retrying: n("retrying"), failed: n("failed"), buckets: BUCKET_COLUMNS.map(n) };
}
