import type { Clock, Timer } from "../core/clock.js";

interface SystemTimer extends Timer {
  cancel(): void;
}

/**
 * The wall clock and the event loop's timers: the one place production code reads the time. A timer of
 * 0 ms runs at the next turn of the event loop (setImmediate), not after Node's 1 ms minimum.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms): SystemTimer {
    if (ms <= 0) {
      const immediate = setImmediate(callback);
      return { unref: () => void immediate.unref(), cancel: () => clearImmediate(immediate) };
    }
    const timeout = setTimeout(callback, ms);
    return { unref: () => void timeout.unref(), cancel: () => clearTimeout(timeout) };
  },
  clearTimeout(timer) {
    (timer as SystemTimer | undefined)?.cancel();
  },
};
