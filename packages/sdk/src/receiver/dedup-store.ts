/**
 * Remembers which `webhook-id`s were accepted. Tidings delivers at least once and re-sends the same
 * `webhook-id` on every retry and redelivery, so this is what makes a handler run once per event.
 *
 * Claim-then-process: `claim` atomically records the id and says whether this caller was first.
 * Backed by Redis it is one `SET NX PX` round trip, shared by every receiver process:
 *
 * ```ts
 * import { createClient } from "redis";
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const dedup: DedupStore = {
 *   async claim(id, ttlMs) {
 *     // "OK" when the key was set (first time), null when it already existed.
 *     return (await redis.set(`tidings:webhook:${id}`, "1", { NX: true, PX: ttlMs })) === "OK";
 *   },
 *   async release(id) {
 *     await redis.del(`tidings:webhook:${id}`);
 *   },
 * };
 * // ioredis: (await redis.set(key, "1", "PX", ttlMs, "NX")) === "OK"
 * ```
 */
export interface DedupStore {
  /** Records `id` for `ttlMs`; resolves true if it was not already recorded. Must be atomic. */
  claim(id: string, ttlMs: number): Promise<boolean>;
  /**
   * Forgets `id` after its handler failed for good, so the sender's next retry or a manual redelivery
   * runs it again instead of being dropped as a duplicate.
   */
  release?(id: string): Promise<void>;
}

export interface MemoryDedupStoreOptions {
  /** Most ids kept; the oldest are dropped first. Default 100 000 (~10 MB). */
  maxEntries?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/**
 * In-process store: right for one process. Several processes behind a load balancer need a shared
 * store (see the Redis example on {@link DedupStore}), or each may run the same event once.
 */
export class MemoryDedupStore implements DedupStore {
  // A Map iterates in insertion order, and with one TTL for all ids that is also expiry order, so
  // both eviction and expiry only ever look at the front.
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryDedupStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#expiries.size;
  }

  claim(id: string, ttlMs: number): Promise<boolean> {
    // Synchronous check-and-set: two concurrent deliveries of one id cannot both see "first".
    const now = this.#now();
    this.#evictExpired(now);
    const expiry = this.#expiries.get(id);
    if (expiry !== undefined && expiry > now) return Promise.resolve(false);
    this.#expiries.delete(id);
    this.#expiries.set(id, now + ttlMs);
    while (this.#expiries.size > this.#maxEntries) {
      const oldest = this.#expiries.keys().next().value;
      if (oldest === undefined) break;
      this.#expiries.delete(oldest);
    }
    return Promise.resolve(true);
  }

  release(id: string): Promise<void> {
    this.#expiries.delete(id);
    return Promise.resolve();
  }

  #evictExpired(now: number): void {
    // Bounded per call so one claim never pays for a large backlog at once.
    let budget = 16;
    for (const [id, expiry] of this.#expiries) {
      if (expiry > now || budget-- === 0) break;
      this.#expiries.delete(id);
    }
  }
}
