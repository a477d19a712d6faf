import { describe, expect, it } from "vitest";
import type { BatchLine } from "../../../src/core/batches.js";
import { batch, batchLines, T0, type StoreFixture } from "./fixtures.js";

export function describeBatchLines(f: StoreFixture): void {
  describe("batch lines", () => {
    it("hands out the pending lines in order and settles each once, moving its batch's counters", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, { failedRequestCount: 1 });
      await store.batches.insert(b, batchLines());
      expect((await store.batchLines.pending(b.id, 10)).map((l) => l.key)).toEqual(["a", "b"]);
      expect(await store.batchLines.pending(b.id, 1)).toHaveLength(1);
      const settled: BatchLine[] = [
        { index: 0, key: "a", state: "succeeded", result: '{"response":{}}' },
        { index: 1, key: "b", state: "failed", result: '{"error":{"code":500,"message":"x"}}' },
      ];
      await store.batchLines.record(b.id, settled, T0 + 5);
      // Recording the same lines again (a retry after a crash) changes nothing.
      await store.batchLines.record(b.id, settled, T0 + 6);
      expect(await store.batchLines.pending(b.id, 10)).toEqual([]);
      expect(await store.batches.get(projectId, b.id)).toMatchObject({
        successfulRequestCount: 1,
        failedRequestCount: 2,
      });
      expect((await store.batchLines.all(b.id)).map((l) => [l.key, l.state])).toEqual([
        ["a", "succeeded"],
        ["b", "failed"],
        ["line-3", "failed"],
      ]);
    });

    it("writes a large batch's lines in chunks, all of them, and reads them back a page at a time", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, { requestCount: 1234 });
      const many = Array.from(
        { length: 1234 },
        (_, index): BatchLine => ({ index, key: `k${index}`, request: "{}", state: "pending" }),
      );
      await store.batches.insert(b, many);
      expect(await store.batchLines.pending(b.id, 2000)).toHaveLength(1234);
      expect((await store.batchLines.page(b.id, 1000, 100)).map((l) => l.index)).toEqual(
        Array.from({ length: 100 }, (_, i) => 1000 + i),
      );
      expect((await store.batchLines.page(b.id, 1200, 100)).map((l) => l.key)).toEqual(
        Array.from({ length: 34 }, (_, i) => `k${1200 + i}`),
      );
      expect(await store.batchLines.page(b.id, 1234, 100)).toEqual([]);
      // The output needs keys and results only: requests (up to MiBs each) are not read back.
      expect((await store.batchLines.page(b.id, 0, 2)).map((l) => l.request)).toEqual([undefined, undefined]);
    });

    it("appends lines to a batch in the transaction that inserts it, counting them; a failure leaves nothing", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, { requestCount: 0 });
      const [first, second, failed] = batchLines();
      await store.transaction(async (tx) => {
        await tx.batches.insert(b, []);
        await tx.batchLines.append(b.id, [first!, second!]);
        await tx.batchLines.append(b.id, [{ ...failed!, index: 2 }]);
      });
      expect(await store.batches.get(projectId, b.id)).toMatchObject({
        requestCount: 3,
        failedRequestCount: 1,
        successfulRequestCount: 0,
      });
      expect((await store.batchLines.all(b.id)).map((l) => [l.index, l.key, l.state])).toEqual([
        [0, "a", "pending"],
        [1, "b", "pending"],
        [2, "line-3", "failed"],
      ]);

      const abandoned = batch(projectId, { requestCount: 0 });
      await expect(
        store.transaction(async (tx) => {
          await tx.batches.insert(abandoned, []);
          await tx.batchLines.append(abandoned.id, batchLines());
          throw new Error("the input was found wanting");
        }),
      ).rejects.toThrow("found wanting");
      expect(await store.batches.get(projectId, abandoned.id)).toBeUndefined();
      expect(await store.batchLines.all(abandoned.id)).toEqual([]);
    });
  });
}
