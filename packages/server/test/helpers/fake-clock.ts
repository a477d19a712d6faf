import FakeTimers from "@sinonjs/fake-timers";
import type { Clock, Timer } from "../../src/core/clock.js";

interface FakeTimer extends Timer {
  id: FakeTimers.TimerId;
}

/**
 * Fake time for unit tests (graphile-worker's setupFakeTimers, as a Clock): nothing waits for real time;
 * the test moves time forward and the timers that fall due fire, with the promises they start settled
 * in between.
 */
export class FakeClock implements Clock {
  private readonly timers: FakeTimers.Clock;

  constructor(start = Date.parse("2026-05-04T12:00:00Z")) {
    this.timers = FakeTimers.createClock(start);
  }

  now(): number {
    return this.timers.now;
  }

  setTimeout(callback: () => void, ms: number): FakeTimer {
    return { id: this.timers.setTimeout(callback, ms), unref() {} };
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer !== undefined) this.timers.clearTimeout((timer as FakeTimer).id);
  }

  /** Moves time forward by `ms`, firing what falls due, then lets what that started settle. */
  async advance(ms: number): Promise<void> {
    await this.timers.tickAsync(ms);
    await this.settle();
  }

  /**
   * Lets everything due now run, without moving time. Each pass also gives the real event loop a turn:
   * work waits on it without waiting for time (the store commits a group of transactions at the turn's end).
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      await this.timers.tickAsync(0);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
