/** One request's outcome within a batch: its own result, or its own error. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Natural batching: a request is run at once if nothing is running; requests that arrive while a batch is
 * running wait and go together in the next one. No timer and no added latency when idle, and under load
 * one round of work (a transaction, its round trips) serves many requests.
 */
export class NaturalBatcher<T, R> {
  private waiting: { item: T; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  constructor(
    /** Runs a batch; returns one outcome per item, in order. Throwing fails every item of the batch. */
    private readonly run: (items: readonly T[]) => Promise<Settled<R>[]>,
    private readonly maxBatch: number,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        const outcomes = await this.run(batch.map((w) => w.item));
        batch.forEach((w, i) => {
          const outcome = outcomes[i] as Settled<R>;
          if (outcome.ok) w.resolve(outcome.value);
          else w.reject(outcome.error);
        });
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.running = false;
  }
}
