import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { OperationService } from "../services/operations.js";
import type { Store } from "../store/store.js";
import { WakeableLoop } from "./wakeable-loop.js";

const MAX_SLEEP_MS = 5_000;

/** Expires running operations when their expire_time passes, sleeping until the next one is due. */
export class ExpiryWorker {
  private readonly loop: WakeableLoop;

  constructor(
    private readonly store: Store,
    private readonly operations: OperationService,
    private readonly clock: Clock,
    log: Logger,
  ) {
    this.loop = new WakeableLoop(() => this.round(), (err) => log.error({ err }, "could not expire operations"));
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
    while ((await this.operations.expireDue()) > 0 && this.loop.isRunning);
    const next = await this.store.nextExpireAt();
    return next === undefined ? MAX_SLEEP_MS : Math.min(Math.max(next - this.clock.now(), 0), MAX_SLEEP_MS);
  }
}
