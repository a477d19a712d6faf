/**
 * In-process work queue with bounded concurrency and per-item retries. The receiver acknowledges a
 * delivery as soon as it is queued here, so the sender's timeout never depends on the handler.
 */

export interface RetryQueueOptions<T> {
  worker: (item: T, attempt: number) => Promise<void> | void;
  concurrency: number;
  maxAttempts: number;
  /** Delay before attempt `attempt + 1`, given the attempt that just failed (1-based). */
  retryDelayMs: (attempt: number) => number;
  /** Called once an item failed `maxAttempts` times; awaited before the item counts as done. */
  onGiveUp: (item: T, error: unknown, attempts: number) => Promise<void> | void;
}

interface Job<T> {
  item: T;
  attempt: number;
  settle: () => void;
}

export class RetryQueue<T> {
  readonly #options: RetryQueueOptions<T>;
  // Array + head index: O(1) dequeue without Array#shift's copying on long queues.
  #ready: Array<Job<T> | undefined> = [];
  #head = 0;
  #running = 0;
  #delayed = 0;
  #pumpScheduled = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: RetryQueueOptions<T>) {
    if (!(options.concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
    if (!(options.maxAttempts >= 1)) throw new RangeError("maxAttempts must be at least 1");
    this.#options = options;
  }

  /** Items queued, running or waiting for a retry. */
  get size(): number {
    return this.#ready.length - this.#head + this.#running + this.#delayed;
  }

  /** Queues an item; the promise settles when it succeeded or was given up (never rejects). */
  push(item: T): Promise<void> {
    return new Promise<void>((settle) => {
      this.#ready.push({ item, attempt: 1, settle });
      this.#schedulePump();
    });
  }

  /** Resolves once nothing is queued, running or waiting for a retry. */
  drain(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    // A macrotask, not a microtask: a handler that starts with synchronous work must not run before
    // the caller has written the 2xx, or the ack would wait for it after all.
    setTimeout(() => {
      this.#pumpScheduled = false;
      this.#pump();
    }, 0);
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#head < this.#ready.length) {
      const job = this.#ready[this.#head]!;
      this.#ready[this.#head++] = undefined;
      this.#running++;
      void this.#run(job);
    }
    if (this.#head === this.#ready.length) {
      this.#ready = [];
      this.#head = 0;
    }
  }

  async #run(job: Job<T>): Promise<void> {
    try {
      await this.#options.worker(job.item, job.attempt);
      job.settle();
    } catch (error) {
      if (job.attempt < this.#options.maxAttempts) {
        this.#retryLater(job);
      } else {
        try {
          await this.#options.onGiveUp(job.item, error, job.attempt);
        } catch {
          // onGiveUp is the last place to report; nowhere left to send its own failure.
        }
        job.settle();
      }
    } finally {
      this.#running--;
      this.#pump();
      this.#notifyIfIdle();
    }
  }

  #retryLater(job: Job<T>): void {
    let delay = Number(this.#options.retryDelayMs(job.attempt));
    if (!Number.isFinite(delay) || delay < 0) delay = 0;
    this.#delayed++;
    setTimeout(() => {
      this.#delayed--;
      this.#ready.push({ ...job, attempt: job.attempt + 1 });
      this.#pump();
    }, delay);
  }

  #notifyIfIdle(): void {
    if (this.size !== 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** 100 ms, 200 ms, 400 ms, … capped at 30 s. */
export function exponentialBackoff(attempt: number): number {
  return Math.min(100 * 2 ** (attempt - 1), 30_000);
}
