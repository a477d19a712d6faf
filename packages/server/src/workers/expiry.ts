import type { Clock } from "../core/clock.js";
import type { OperationService } from "../services/operations.js";
import type { Store } from "../store/store.js";

const MAX_SLEEP_MS = 5_000;

/** Expires running operations when their expire_time passes, sleeping until the next one is due. */
export class ExpiryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private again = false;

  constructor(
    private readonly store: Store,
    private readonly operations: OperationService,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.running = true;
    void this.tick();
  }

  /** An expire_time may now be sooner than the current sleep. */
  wake(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    this.ticking = true;
    let wait = MAX_SLEEP_MS;
    try {
      do {
        this.again = false;
        while ((await this.operations.expireDue()) > 0 && this.running);
        const next = await this.store.nextExpireAt();
        wait = next === undefined ? MAX_SLEEP_MS : Math.min(Math.max(next - this.clock.now(), 0), MAX_SLEEP_MS);
      } while (this.again && this.running);
    } finally {
      this.ticking = false;
      if (this.running) {
        this.timer = setTimeout(() => void this.tick(), wait);
        this.timer.unref();
      }
    }
  }
}
