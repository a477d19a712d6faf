import type { Clock } from "../core/clock.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";
import type { BatchService } from "../services/batches.js";
import type { OperationService } from "../services/operations.js";
import type { Store } from "../store/store.js";

const MAX_SLEEP_MS = 5_000;

export interface ExpiryWorkerDeps {
  store: Store;
  operations: OperationService;
  /** Batches that a crash left half-created are swept here too. */
  batches: BatchService;
  clock: Clock;
  /** A failed sweep: logged as an error and counted on /metrics; the next round tries again. */
  onError: (err: unknown) => void;
}

/**
 * Expires running operations when their expire_time passes, sleeping until the next one is due (at most
 * MAX_SLEEP_MS), and each round deletes the batches that a crash left half-created.
 */
export class ExpiryWorker {
  private readonly loop: WakeableLoop;

  constructor(private readonly deps: ExpiryWorkerDeps) {
    this.loop = new WakeableLoop(deps.clock, () => this.round(), deps.onError);
  }

  start(): void {
    this.loop.start();
  }

  /** An expire_time may now be sooner than the current sleep. */
  wake(): void {
    this.loop.wake();
  }

  stop(): void {
    this.loop.stop();
  }

  private async round(): Promise<number> {
    while ((await this.deps.operations.expireDue()) > 0 && this.loop.isRunning);
    while ((await this.deps.batches.discardAbandoned()) > 0 && this.loop.isRunning);
    const next = await this.deps.store.operations.nextExpireAt();
    return next === undefined ? MAX_SLEEP_MS : Math.min(Math.max(next - this.deps.clock.now(), 0), MAX_SLEEP_MS);
  }
}
