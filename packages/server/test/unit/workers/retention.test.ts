import { describe, expect, it } from "vitest";
import type { Purged } from "../../../src/core/retention.js";
import { RetentionWorker } from "../../../src/workers/retention.js";
import { FakeClock } from "../../helpers/fake-clock.js";

describe("RetentionWorker, on fake time", () => {
  it("sweeps at start, then as often as the service says, and reports what each sweep purged", async () => {
    const clock = new FakeClock();
    const sweeps: number[] = [];
    const reported: Purged[] = [];
    const worker = new RetentionWorker(
      {
        sweep: async () => {
          sweeps.push(clock.now());
          return { events: sweeps.length };
        },
        interval: async () => 30_000,
      },
      clock,
      (purged) => reported.push(purged),
      (err) => {
        throw err;
      },
    );
    const start = clock.now();
    worker.start();
    await clock.settle();
    await clock.advance(29_999);
    expect(sweeps).toEqual([start]);
    await clock.advance(1);
    expect(sweeps).toEqual([start, start + 30_000]);
    expect(reported).toEqual([{ events: 1 }, { events: 2 }]);
    worker.stop();
    await clock.advance(60_000);
    expect(sweeps).toHaveLength(2);
  });
});
