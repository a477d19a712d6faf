import { describe, expect, it } from "vitest";
import type { Clock, Timer } from "../../../src/core/clock.js";
import { DeadlineSweep } from "../../../src/delivery/deadlines.js";
import { FakeClock } from "../../helpers/fake-clock.js";

/** A fake clock that counts the timers armed on it. */
class CountingClock implements Clock {
  armed = 0;
  constructor(readonly fake = new FakeClock()) {}
  now(): number {
    return this.fake.now();
  }
  setTimeout(callback: () => void, ms: number): Timer {
    this.armed++;
    return this.fake.setTimeout(callback, ms);
  }
  clearTimeout(timer: Timer | undefined): void {
    this.fake.clearTimeout(timer);
  }
}

/** When `signal` aborts, in ms of fake time from `from`. */
function abortedAfter(clock: FakeClock, signal: AbortSignal, from: number): () => number | undefined {
  let at: number | undefined;
  signal.addEventListener("abort", () => (at = clock.now() - from), { once: true });
  return () => at;
}

describe("DeadlineSweep", () => {
  it.each([
    [500, 100],
    [10_000, 100],
    [1234, 1234 / 13],
    [40, 40],
  ])(
    "a %i ms deadline fires no sooner than that, at most one slice (%d ms) later, wherever a request starts",
    async (timeoutMs, slice) => {
      const clock = new FakeClock();
      const sweep = new DeadlineSweep(clock, timeoutMs);
      expect(sweep.sliceMs).toBeCloseTo(slice, 6);
      // A first request starts the sweeping; the others start at points spread over the slices that follow.
      const starts = [0, 1, Math.floor(slice / 2), Math.ceil(slice) - 1, Math.ceil(slice), Math.ceil(slice * 2.5)];
      const fired: (() => number | undefined)[] = [];
      let t = 0;
      for (const start of starts) {
        await clock.advance(start - t);
        t = start;
        fired.push(abortedAfter(clock, sweep.signal(), clock.now()));
      }
      await clock.advance(timeoutMs * 3);
      for (const [i, after] of fired.entries()) {
        const ms = after();
        expect(ms, `request started at ${starts[i]} ms`).toBeDefined();
        expect(ms!, `request started at ${starts[i]} ms`).toBeGreaterThanOrEqual(timeoutMs);
        expect(ms!, `request started at ${starts[i]} ms`).toBeLessThanOrEqual(timeoutMs + Math.ceil(slice));
      }
    },
  );

  it("is not early for a request that starts just before a sweep: it waits for the sweep after its timeout", async () => {
    const clock = new FakeClock();
    const sweep = new DeadlineSweep(clock, 500);
    sweep.signal(); // the sweep is running
    await clock.advance(99); // the next sweep is 1 ms away: the worst case for a request starting now
    const signal = sweep.signal();
    await clock.advance(500);
    expect(signal.aborted).toBe(false);
    await clock.advance(1);
    expect(signal.aborted).toBe(true);
  });

  it("gives the requests due in one slice one signal, and arms one timer at a time, not one per request", async () => {
    const clock = new CountingClock();
    const sweep = new DeadlineSweep(clock, 1000);
    const first = sweep.signal();
    for (let i = 0; i < 1000; i++) expect(sweep.signal()).toBe(first);
    expect(clock.armed).toBe(1);
    await clock.fake.advance(100); // one sweep: later requests are due one slice later
    const next = sweep.signal();
    expect(next).not.toBe(first);
    expect(clock.armed).toBe(2); // the sweep re-armed itself; the new slice armed nothing of its own
  });

  it("stops sweeping once no deadline is pending, and starts again for the next request", async () => {
    const clock = new CountingClock();
    const sweep = new DeadlineSweep(clock, 300);
    const signal = sweep.signal();
    await clock.fake.advance(400);
    expect(signal.aborted).toBe(true);
    const armed = clock.armed;
    await clock.fake.advance(10_000);
    expect(clock.armed).toBe(armed);
    const again = sweep.signal();
    await clock.fake.advance(299);
    expect(again.aborted).toBe(false);
    await clock.fake.advance(101);
    expect(again.aborted).toBe(true);
  });

  it("stop() leaves pending signals alone and arms nothing more", async () => {
    const clock = new CountingClock();
    const sweep = new DeadlineSweep(clock, 300);
    const signal = sweep.signal();
    sweep.stop();
    await clock.fake.advance(10_000);
    expect(signal.aborted).toBe(false);
    expect(clock.armed).toBe(1);
  });
});
