import type { Clock, Timer } from "../core/clock.js";
import type { Signal } from "./signal.js";
import { WakeableLoop } from "./wakeable-loop.js";

export interface LeasedRunnerOptions {
  /** Items this process runs at once. */
  maxRunning: number;
  /** How long a claim holds an item; renewed every third of it while the item runs. */
  leaseMs: number;
  /** How long to sleep when nothing is ready and nothing wakes the runner. */
  idlePollMs: number;
}

/** The leases of one kind of work (batches, interactions, videos), which its service holds. */
export interface Leases<T extends { id: string }> {
  /** Leases the next item ready to run until `lockedUntil`, or says there is none. */
  claim(now: number, lockedUntil: number): Promise<T | undefined>;
  /**
   * Extends the lease; false when it is no longer held, because the item ended, was cancelled or was deleted
   * (here or by another process): the run then stops.
   */
  renew(item: T, lockedUntil: number): Promise<boolean>;
}

/** What a runner does with what it leased. */
export interface LeasedWork<T> {
  /**
   * Runs the item to its end. The signal aborts on stop, on `abort(id)`, on an `ended` signal and when `renew` says
   * false.
   */
  run(item: T, signal: AbortSignal): Promise<void>;
  /** What each round does before it claims (the batch runner's sweep of creations a crash cut short). */
  beforeRound?(): Promise<void>;
}

/** The news a runner listens to: there may be work to claim; an item ended and should stop running here. */
export interface RunnerSignals {
  runnable: Signal;
  ended?: Signal<[id: string]>;
}

export interface LeasedRunnerDeps<T extends { id: string }> {
  clock: Clock;
  leases: Leases<T>;
  work: LeasedWork<T>;
  options: LeasedRunnerOptions;
  /** Listened to from the start: a wake-up for new work, an abort for an item that ended. */
  signals?: RunnerSignals;
  /** A round, a renewal or a run that broke: logged and counted by the caller. */
  onError: (err: unknown, id?: string) => void;
}

/**
 * Runs leased work: claims items while there is room, keeps each one's lease alive while it runs, and on
 * stop aborts them and waits for them to return. What a stopped or crashed run did not record is done
 * again by the next start, or by another process once the lease runs out, so work is kept in the store,
 * never only here.
 */
export class LeasedRunner<T extends { id: string }> {
  private readonly active = new Map<string, AbortController>();
  private readonly loop: WakeableLoop;
  private idle: (() => void) | undefined;
  private readonly clock: Clock;
  private readonly leases: Leases<T>;
  private readonly work: LeasedWork<T>;
  private readonly options: LeasedRunnerOptions;
  private readonly onError: (err: unknown, id?: string) => void;

  constructor(deps: LeasedRunnerDeps<T>) {
    ({ clock: this.clock, leases: this.leases, work: this.work, options: this.options, onError: this.onError } = deps);
    this.loop = new WakeableLoop(
      this.clock,
      () => this.round(),
      (err) => this.onError(err),
    );
    deps.signals?.runnable.listen(() => this.wake());
    deps.signals?.ended?.listen((id) => this.abort(id));
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.loop.stop();
    for (const controller of this.active.values()) controller.abort();
    if (this.active.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  wake(): void {
    this.loop.wake();
  }

  abort(id: string): void {
    this.active.get(id)?.abort();
  }

  private async round(): Promise<number> {
    await this.work.beforeRound?.();
    while (this.loop.isRunning && this.active.size < this.options.maxRunning) {
      const now = this.clock.now();
      const item = await this.leases.claim(now, now + this.options.leaseMs);
      if (item === undefined) break;
      void this.run(item);
    }
    return this.options.idlePollMs;
  }

  private async run(item: T): Promise<void> {
    const controller = new AbortController();
    this.active.set(item.id, controller);
    let renewal: Timer | undefined;
    const renewSoon = () => {
      renewal = this.clock.setTimeout(() => {
        this.leases.renew(item, this.clock.now() + this.options.leaseMs).then(
          (keep) => {
            if (!keep) controller.abort();
          },
          (err: unknown) => this.onError(err, item.id),
        );
        renewSoon();
      }, this.options.leaseMs / 3);
    };
    renewSoon();
    try {
      await this.work.run(item, controller.signal);
    } catch (err) {
      this.onError(err, item.id);
    } finally {
      this.clock.clearTimeout(renewal);
      this.active.delete(item.id);
      if (this.active.size === 0) this.idle?.();
      this.wake();
    }
  }
}
