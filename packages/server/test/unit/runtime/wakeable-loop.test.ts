import { describe, expect, it } from "vitest";
import { WakeableLoop } from "../../../src/runtime/wakeable-loop.js";
import { FakeClock } from "../../helpers/fake-clock.js";

const HOUR = 3_600_000;

describe("WakeableLoop", () => {
  it("keeps a wakeBy that comes while a round is already scheduled: the sleep after that round ends by then", async () => {
    const clock = new FakeClock();
    const rounds: number[] = [];
    const t0 = clock.now();
    const loop = new WakeableLoop(
      clock,
      async () => {
        rounds.push(clock.now() - t0);
        return HOUR;
      },
      (err) => {
        throw err;
      },
    );
    loop.start();
    await clock.settle();
    // A commit wakes it now, and a retry falls due in 5 s: both in the same turn.
    loop.wake();
    loop.wakeBy(clock.now() + 5_000);
    await clock.settle();
    await clock.advance(5_000);
    expect(rounds).toEqual([0, 0, 5_000]);
    loop.stop();
  });
});
