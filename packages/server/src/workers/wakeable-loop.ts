/**
 * A background loop that sleeps between rounds and can be woken early. A wake during a round runs
 * another round right after it, so no signal is lost; rounds never overlap.
 */
export class WakeableLoop {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private running = false;
  private inRound = false;
  private again = false;

  /** `round` does the work and says how long to sleep before the next one. */
  constructor(
    private readonly round: () => Promise<number>,
    private readonly onError: (err: unknown) => void,
    private readonly retryMs = 1000,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    clearImmediate(this.soon);
  }

  /** Cheap enough to call on every commit: wakes coalesce into one round. */
  wake(): void {
    if (!this.running) return;
    if (this.inRound) {
      this.again = true;
      return;
    }
    if (this.soon !== undefined) return;
    clearTimeout(this.timer);
    this.soon = setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    this.soon = undefined;
    if (!this.running) return;
    this.inRound = true;
    let sleep = this.retryMs;
    try {
      do {
        this.again = false;
        sleep = await this.round();
      } while (this.again && this.running);
    } catch (err) {
      this.onError(err);
    } finally {
      this.inRound = false;
      if (this.running) {
        this.timer = setTimeout(() => void this.run(), sleep);
        this.timer.unref();
      }
    }
  }
}
