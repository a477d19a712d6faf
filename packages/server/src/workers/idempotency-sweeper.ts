import type { Clock } from "../core/clock.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";
import type { IdempotencyService } from "../services/idempotency.js";

/** Expired keys are only garbage (an expired key is claimed anew in place), so a sweep now and then is enough. */
const SWEEP_EVERY_MS = 10 * 60_000;

/** Purges `Idempotency-Key`s older than 24 h, every ten minutes. */
export class IdempotencySweeper {
  private readonly loop: WakeableLoop;

  constructor(idempotency: IdempotencyService, clock: Clock, onError: (err: unknown) => void) {
    this.loop = new WakeableLoop(
      clock,
      async () => {
        await idempotency.purgeExpired();
        return SWEEP_EVERY_MS;
      },
      onError,
      SWEEP_EVERY_MS,
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }
}
