import { setMaxListeners } from "node:events";
import type { Clock, Timer } from "../core/clock.js";

/** How coarsely deadlines are kept: a deadline fires up to about this much after it is due, never before. */
const GRANULARITY_MS = 100;

/**
 * One timeout for many requests, kept coarsely. Requests that fall due in the same slice of time share one
 * AbortSignal, and a single sweep, one timer every slice while any deadline is pending, aborts each slice's
 * signal when it ends. A request that ends first costs no timer of its own: an AbortController and a timer per
 * request were a fifth of the sender's CPU.
 *
 * Time is counted in sweeps rather than read from the clock: a deadline is a number of sweeps away, so it holds
 * on a wall clock that jumps and on a test's clock that stands still while real time runs.
 */
export class DeadlineSweep {
  /** The length of a slice: the timeout divided evenly, so that a deadline is at most one slice late. */
  readonly sliceMs: number;
  private readonly slicesPerTimeout: number;
  /** Signals by the sweep that aborts them. */
  private readonly due = new Map<number, AbortController>();
  private sweeps = 0;
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    readonly timeoutMs: number,
  ) {
    this.slicesPerTimeout = Math.ceil(timeoutMs / GRANULARITY_MS);
    this.sliceMs = timeoutMs / this.slicesPerTimeout;
  }

  /** A signal that aborts no sooner than `timeoutMs` from now, and at most one slice later. */
  signal(): AbortSignal {
    // The next sweep comes within a slice from now (or a whole slice, when this starts the sweeping), and the
    // timeout is a whole number of slices after that one.
    const at = this.sweeps + 1 + this.slicesPerTimeout;
    let controller = this.due.get(at);
    if (controller === undefined) {
      controller = new AbortController();
      // Every request in flight in the slice listens to it: not a leak.
      setMaxListeners(0, controller.signal);
      this.due.set(at, controller);
      this.timer ??= this.schedule();
    }
    return controller.signal;
  }

  /** Stops sweeping; signals still pending never abort. */
  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.due.clear();
  }

  private schedule(): Timer {
    const timer = this.clock.setTimeout(() => this.sweep(), this.sliceMs);
    // Requests in flight hold the process open, the sweep that times them out does not.
    timer.unref();
    return timer;
  }

  private sweep(): void {
    this.sweeps++;
    const controller = this.due.get(this.sweeps);
    this.due.delete(this.sweeps);
    this.timer = this.due.size > 0 ? this.schedule() : undefined;
    controller?.abort();
  }
}
