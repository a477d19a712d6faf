import type { Clock, Timer } from "../core/clock.js";

/**
 * A background loop that sleeps between rounds and can be woken early. A wake during a round runs
 * another round right after it, so no signal is lost; rounds never overlap. Sleeps run on the clock's
 * timers, so tests drive the loop on fake time.
 */
export class WakeableLoop {
  private timer: Timer | undefined;
  /** When the current sleep ends, while the loop sleeps. */
  private sleepsUntil: number | undefined;
  private running = false;
  private inRound = false;
  private again = false;
  private scheduled = false;
  /** A wakeBy that came while a round was scheduled or running: the sleep after it ends by then. */
  private dueBy: number | undefined;

  /** `round` does the work and says how long to sleep before the next one. */
  constructor(
    private readonly clock: Clock,
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
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Cheap enough to call on every commit: wakes coalesce into one round. */
  wake(): void {
    if (!this.running) return;
    if (this.inRound) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // At the next turn, not inline: wakes from many commits in this turn coalesce into one round.
    this.sleep(0);
  }

  /** Something falls due at `at`: run a round by then, without waking now if the loop would anyway. */
  wakeBy(at: number): void {
    if (!this.running) return;
    if (this.scheduled || this.inRound) {
      this.dueBy = Math.min(this.dueBy ?? at, at);
      return;
    }
    if (this.sleepsUntil !== undefined && this.sleepsUntil <= at) return;
    this.sleep(Math.max(0, at - this.clock.now()));
  }

  private sleep(ms: number): void {
    this.clock.clearTimeout(this.timer);
    this.sleepsUntil = this.clock.now() + ms;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.sleepsUntil = undefined;
      void this.run();
    }, ms);
    if (ms > 0) this.timer.unref();
  }

  private async run(): Promise<void> {
    this.scheduled = false;
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
      const dueBy = this.dueBy;
      this.dueBy = undefined;
      if (dueBy !== undefined) sleep = Math.min(sleep, Math.max(0, dueBy - this.clock.now()));
      if (this.running) this.sleep(sleep);
    }
  }
}
