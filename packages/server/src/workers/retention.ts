import type { Clock } from "../core/clock.js";
import type { Purged } from "../core/retention.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";

/** The retention service as its worker sees it. */
export interface Retaining {
  sweep(): Promise<Purged>;
  interval(): Promise<number>;
}

/** Sweeps what outlived its retention (services/retention.ts), then sleeps as long as the shortest retention asks. */
export class RetentionWorker {
  private readonly loop: WakeableLoop;

  constructor(
    retention: Retaining,
    clock: Clock,
    onPurged: (purged: Purged) => void,
    /** A failed sweep: logged as an error and counted on /metrics; the next round tries again. */
    onError: (err: unknown) => void,
  ) {
    this.loop = new WakeableLoop(
      clock,
      async () => {
        onPurged(await retention.sweep());
        return retention.interval();
      },
      onError,
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }
}
