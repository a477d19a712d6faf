/**
 * At most `limit` calls of `run` in flight; the rest wait in arrival order. The batch runner puts one in front
 * of each provider so a 10 000-line batch cannot open 10 000 upstream requests (TIDINGS_PROVIDER_CONCURRENCY).
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`ConcurrencyLimiter: limit must be a positive integer, not ${limit}`);
  }

  /** Calls in flight now. */
  get running(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never dips and a newcomer cannot jump the queue.
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}
