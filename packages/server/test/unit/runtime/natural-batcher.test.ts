import { describe, expect, it } from "vitest";
import { NaturalBatcher, type Settled } from "../../../src/runtime/natural-batcher.js";

describe("NaturalBatcher", () => {
  it("runs the first request at once and what arrives meanwhile together in the next batch, each with its own outcome", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstDone = new Promise<void>((resolve) => (release = resolve));
    const batcher = new NaturalBatcher<number, number>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await firstDone;
      return items.map(
        (n): Settled<number> => (n === 3 ? { ok: false, error: new Error("three") } : { ok: true, value: n * 10 }),
      );
    }, 10);
    const first = batcher.submit(1);
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    release();
    expect(await first).toBe(10);
    expect(await Promise.allSettled(rest)).toEqual([
      { status: "fulfilled", value: 20 },
      { status: "rejected", reason: new Error("three") },
      { status: "fulfilled", value: 40 },
    ]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it("keeps batches to their limit, and fails every request of a batch that throws", async () => {
    const batches: number[][] = [];
    const batcher = new NaturalBatcher<number, number>(async (items) => {
      batches.push([...items]);
      if (items.includes(0)) throw new Error("the whole batch");
      return items.map((n) => ({ ok: true, value: n }));
    }, 2);
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((n) => batcher.submit(n)));
    expect(batches).toEqual([[0], [1, 2], [3, 4]]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
  });
});
