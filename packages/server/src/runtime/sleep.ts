import type { Clock } from "../core/clock.js";
import { systemClock } from "./system-clock.js";

/**
 * Waits `ms` on `clock`'s timers, or less if `signal` aborts first; resolves false when it was cut short so
 * callers can bail out.
 */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = systemClock): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Lets the event loop run what waits (I/O, timers, other requests) before going on: a long job's pause between chunks.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
