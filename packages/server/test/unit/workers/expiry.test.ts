import { describe, expect, it } from "vitest";
import { Signal } from "../../../src/runtime/signal.js";
import { type Expiring, ExpiryWorker } from "../../../src/workers/expiry.js";
import { FakeClock } from "../../helpers/fake-clock.js";

/** A kind whose items fall due at the given times; expiring one records when. */
class Deadlines implements Expiring {
  readonly expired: number[] = [];
  constructor(
    private readonly clock: FakeClock,
    private readonly due: number[],
  ) {}

  async expireDue(): Promise<number> {
    const now = this.clock.now();
    const ready = this.due.filter((at) => at <= now);
    this.due.splice(0, this.due.length, ...this.due.filter((at) => at > now));
    this.expired.push(...ready.map(() => now));
    return ready.length;
  }

  async nextExpiry(): Promise<number | undefined> {
    return this.due.length === 0 ? undefined : Math.min(...this.due);
  }

  add(at: number): void {
    this.due.push(at);
  }
}

describe("ExpiryWorker", () => {
  it("expires each kind through its own service, each item once, at its time", async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const operations = new Deadlines(clock, [t0 + 1_000, t0 + 3_000]);
    const batches = new Deadlines(clock, [t0 + 2_000]);
    const worker = new ExpiryWorker({ kinds: [operations, batches], expires: new Signal(), clock, onError: () => {} });
    worker.start();
    await clock.settle();
    await clock.advance(3_000);
    expect(operations.expired).toEqual([t0 + 1_000, t0 + 3_000]);
    expect(batches.expired).toEqual([t0 + 2_000]);
    worker.stop();
  });

  it("wakes by a deadline it is told of that falls before its sleep ends", async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const batches = new Deadlines(clock, []);
    const expires = new Signal<[at: number]>();
    const worker = new ExpiryWorker({ kinds: [batches], expires, clock, onError: () => {} });
    worker.start();
    await clock.settle();
    // Asleep for its longest (nothing due); a batch created now expires sooner.
    batches.add(t0 + 700);
    expires.ring(t0 + 700);
    await clock.advance(700);
    expect(batches.expired).toEqual([t0 + 700]);
    worker.stop();
  });
});
