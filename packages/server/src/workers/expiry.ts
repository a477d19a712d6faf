import type { Clock } from "../core/clock.js";
import type { Signal } from "../runtime/signal.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";

const MAX_SLEEP_MS = 5_000;

/** A kind whose items expire (custom operations at their expire_time, batches at their deadline): its service. */
export interface Expiring {
  /** Expires what is due now; returns how many, so the worker goes on while there were some. */
  expireDue(): Promise<number>;
  /** When the next one falls due, if any. */
  nextExpiry(): Promise<number | undefined>;
}

export interface ExpiryWorkerDeps {
  kinds: readonly Expiring[];
  /** Rung with a new deadline, which may be sooner than the current sleep. */
  expires: Signal<[at: number]>;
  clock: Clock;
  /** A failed sweep: logged as an error and counted on /metrics; the next round tries again. */
  onError: (err: unknown) => void;
}

/**
 * Expires every kind with a deadline through its own service, sleeping until the next one is due (at most
 * MAX_SLEEP_MS, so another process's deadlines are seen too). A running batch it expires is told to stop.
 */
export class ExpiryWorker {
  private readonly loop: WakeableLoop;

  constructor(private readonly deps: ExpiryWorkerDeps) {
    this.loop = new WakeableLoop(deps.clock, () => this.round(), deps.onError);
    deps.expires.listen((at) => this.loop.wakeBy(at));
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  private async round(): Promise<number> {
    let next = this.deps.clock.now() + MAX_SLEEP_MS;
    for (const kind of this.deps.kinds) {
      while ((await kind.expireDue()) > 0 && this.loop.isRunning);
      next = Math.min(next, (await kind.nextExpiry()) ?? next);
    }
    return Math.max(next - this.deps.clock.now(), 0);
  }
}
