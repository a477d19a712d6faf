import { describe, expect, it } from "vitest";
import { NaturalBatcher, type Settled } from "../../../src/runtime/natural-batcher.js";
import { nextTurn } from "../../../src/runtime/sleep.js";

describe("NaturalBatcher", () => {
  it("runs a turn's requests together, and what arrives meanwhile together in the next batch, each with its own outcome", async () => {
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
    // One turn's burst: nothing runs before the turn ends, then all of it as one batch.
    const first = [1, 2].map((n) => batcher.submit(n));
    expect(batches).toEqual([]);
    await nextTurn();
    expect(batches).toEqual([[1, 2]]);
    // Arrived while that batch runs: waits, then goes together.
    const rest = [3, 4].map((n) => batcher.submit(n));
    await nextTurn();
    expect(batches).toEqual([[1, 2]]);
    release();
    expect(await Promise.all(first)).toEqual([10, 20]);
    expect(await Promise.allSettled(rest)).toEqual([
      { status: "rejected", reason: new Error("three") },
      { status: "fulfilled", value: 40 },
    ]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("keeps batches to their limit, and fails every request of a batch that throws", async () => {
    const batches: number[][] = [];
    const batcher = new NaturalBatcher<number, number>(async (items) => {
      batches.push([...items]);
      if (items.includes(0)) throw new Error("the whole batch");
      return items.map((n) => ({ ok: true, value: n }));
    }, 2);
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((n) => batcher.submit(n)));
    expect(batches).toEqual([[0, 1], [2, 3], [4]]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
  });

  it("starts again after going idle", async () => {
    const batches: number[][] = [];
    const batcher = new NaturalBatcher<number, number>(async (items) => {
      batches.push([...items]);
      return items.map((n) => ({ ok: true, value: n }));
    }, 10);
    expect(await batcher.submit(1)).toBe(1);
    expect(await Promise.all([batcher.submit(2), batcher.submit(3)])).toEqual([2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
  });
});
