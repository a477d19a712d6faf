import type { Clock } from "../core/clock.js";
import type { OperationService } from "../services/operations.js";
import type { Store } from "../store/store.js";

const MAX_SLEEP_MS = 5_000;

/** Expires running operations when their expire_time passes, sleeping until the next one is due. */
export class ExpiryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly operations: OperationService,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    let wait = MAX_SLEEP_MS;
    try {
      while ((await this.operations.expireDue()) > 0 && this.running);
      const next = await this.store.nextExpireAt();
      if (next !== undefined) wait = Math.min(Math.max(next - this.clock.now(), 0), MAX_SLEEP_MS);
    } finally {
      if (this.running) {
        this.timer = setTimeout(() => void this.tick(), wait);
        this.timer.unref();
      }
    }
  }
}
