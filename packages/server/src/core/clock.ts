/** A pending timer; `unref` lets the process exit while it waits (system timers only). */
export interface Timer {
  unref(): void;
}

/**
 * Time is an input. The clock says what time it is and owns the timers that wait for a time, so that the
 * 24-hour retry window, the wake-up loops, outcome flushes and batch deadlines all run on fake time in tests.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
