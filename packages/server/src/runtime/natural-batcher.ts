/** One request's outcome within a batch: its own result, or its own error. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Natural batching: requests that arrive in one turn of the event loop go together, in a batch that starts when
 * the turn ends (setImmediate); requests that arrive while a batch is running wait and go together in the next
 * one. No timer: when idle a request waits only for the rest of its turn, and under load one round of work (a
 * transaction, its round trips) serves many requests. Started at once, a burst's first request would be a batch
 * (and a commit) of its own (docs/store.md: group commit).
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
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
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
