/**
 * Seconds after the previous attempt (docs/wire.md: delivery semantics); after the last step, every 8 h until the
 * window closes.
 */
export const DEFAULT_RETRY_SCHEDULE_S = [5, 30, 120, 600, 1800, 3600, 7200, 14400, 21600, 28800];
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
const JITTER = 0.2;

export interface RetryPolicy {
  scheduleMs: number[];
  windowMs: number;
  /** Returns a number in [0, 1); injected so tests can pin the jitter. */
  random: () => number;
}

export function retryPolicy(scheduleSeconds: number[] = DEFAULT_RETRY_SCHEDULE_S, random = Math.random): RetryPolicy {
  return { scheduleMs: scheduleSeconds.map((s) => s * 1000), windowMs: RETRY_WINDOW_MS, random };
}

/** Delay before retry number `attempts` (1 = the first retry), repeating the last step. */
function baseDelay(policy: RetryPolicy, attempts: number): number {
  const steps = policy.scheduleMs;
  return steps[Math.min(attempts, steps.length) - 1] ?? 0;
}

/**
 * When to try again after `attempts` failed attempts, or undefined when the 24-hour window is spent.
 * A `Retry-After` from a 429/503 is honoured, clamped to [the schedule's next step, twice that].
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  attempts: number,
  windowStartAt: number,
  now: number,
  retryAfterMs?: number,
): number | undefined {
  const base = baseDelay(policy, attempts);
  let delay = base * (1 - JITTER + 2 * JITTER * policy.random());
  if (retryAfterMs !== undefined) delay = Math.min(Math.max(retryAfterMs, base), 2 * base);
  // Whole milliseconds: times are integers in the store.
  const at = Math.round(now + delay);
  const deadline = windowStartAt + policy.windowMs;
  if (at > deadline) return now < deadline ? deadline : undefined;
  return at;
}

/** Parses a Retry-After header: delta seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function parseRetrySchedule(text: string): number[] {
  const steps = text.split(",").map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((s) => !Number.isFinite(s) || s < 0)) {
    throw new Error(`TIDINGS_RETRY_SCHEDULE: "${text}" must be comma-separated non-negative seconds, e.g. 5,30,120`);
  }
  return steps;
}
