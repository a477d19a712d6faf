import type { LimitExceededError, LimitName } from "../core/limits.js";

/** Counts a refusal where it is made, whoever asked (the API or the dashboard), and hands the error back to throw. */
export function refused(
  counter: { onLimit?: (limit: LimitName) => void },
  error: LimitExceededError,
): LimitExceededError {
  counter.onLimit?.(error.limit);
  return error;
}
