import type { Clock } from "../core/clock.js";
import { LimitExceededError, RateLimiter, type LimitName } from "../core/limits.js";

/**
 * TIDINGS_RATE_LIMIT_PER_PROJECT: each project may make `perSecond` API requests a second, in bursts of up to a
 * second's worth. Past it a request is a 429 with Retry-After. Undefined when the limit is off (0).
 */
export function projectRateLimit(
  perSecond: number,
  clock: Clock,
  onLimit: (limit: LimitName) => void,
): ((projectId: string) => void) | undefined {
  if (perSecond <= 0) return undefined;
  const limiter = new RateLimiter(perSecond, Math.max(1, perSecond));
  return (projectId) => {
    const waitMs = limiter.take(projectId, clock.now());
    if (waitMs === 0) return;
    onLimit("rate_per_project");
    throw new LimitExceededError(
      "rate_per_project",
      `this project is over its ${perSecond} requests a second (TIDINGS_RATE_LIMIT_PER_PROJECT); retry after the Retry-After seconds`,
      429,
      Math.max(1, Math.ceil(waitMs / 1000)),
    );
  };
}
