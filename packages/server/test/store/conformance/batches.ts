import { describe, expect, it } from "vitest";
import type { BatchLine } from "../../../src/core/batches.js";
import { batch, batchLines, PAGE, T0, type StoreFixture } from "./fixtures.js";

export function describeBatches(f: StoreFixture): void {
  describe("batches", () => {
    it("stores a batch with its lines, leases it once, and settles lines with their counters", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, { failedRequestCount: 1, webhookConfig: { uris: ["https://a.example/x"], user_metadata: { k: 1 } } });
      await store.batches.insert(b, batchLines());
      expect(await store.batches.get(projectId, b.id)).toEqual(b);
      expect(await store.batches.get("other-project", b.id)).toBeUndefined();
      expect((await store.batches.list(projectId, PAGE)).items.map((x) => x.id)).toEqual([b.id]);

      expect(await store.batches.claim(T0 + 1, T0 + 1000)).toMatchObject({ id: b.id, state: "BATCH_STATE_RUNNING" });
      expect(await store.batches.claim(T0 + 2, T0 + 1000)).toBeUndefined();
      expect((await store.batches.claim(T0 + 1001, T0 + 2000))?.id).toBe(b.id);
      await store.batches.renewLease(b.id, T0 + 9000);
      expect(await store.batches.claim(T0 + 2001, T0 + 3000)).toBeUndefined();

      expect((await store.batches.pendingLines(b.id, 10)).map((l) => l.key)).toEqual(["a", "b"]);
      expect(await store.batches.pendingLines(b.id, 1)).toHaveLength(1);
      const settled: BatchLine[] = [
        { index: 0, key: "a", state: "succeeded", result: '{"response":{}}' },
        { index: 1, key: "b", state: "failed", result: '{"error":{"code":500,"message":"x"}}' },
      ];
      await store.batches.recordLines(b.id, settled, T0 + 5);
      // Recording the same lines again (a retry after a crash) changes nothing.
      await store.batches.recordLines(b.id, settled, T0 + 6);
      expect(await store.batches.pendingLines(b.id, 10)).toEqual([]);
      expect(await store.batches.get(projectId, b.id)).toMatchObject({ successfulRequestCount: 1, failedRequestCount: 2 });
      expect((await store.batches.lines(b.id)).map((l) => [l.key, l.state])).toEqual([
        ["a", "succeeded"],
        ["b", "failed"],
        ["line-3", "failed"],
      ]);
    });

    it("writes a finished batch, ending its lease; releases leases after a crash; deletes with its lines", async () => {
      const { store, projectId } = f;
      const b = batch(projectId);
      await store.batches.insert(b, batchLines());
      await store.batches.claim(T0, T0 + 60_000);
      expect(await store.batches.releaseAll()).toBe(1);
      const running = await store.batches.claim(T0 + 2, T0 + 60_000);
      expect(running?.id).toBe(b.id);
      const done = { ...running!, state: "BATCH_STATE_SUCCEEDED" as const, outputFile: "files/out", endedAt: T0 + 3, updatedAt: T0 + 3 };
      await store.transaction(async (tx) => {
        expect((await tx.batches.getForUpdate(projectId, b.id))?.state).toBe("BATCH_STATE_RUNNING");
        await tx.batches.update(done);
      });
      expect(await store.batches.get(projectId, b.id)).toMatchObject({ state: "BATCH_STATE_SUCCEEDED", outputFile: "files/out", endedAt: T0 + 3 });
      expect(await store.batches.claim(T0 + 100_000, T0 + 200_000)).toBeUndefined();
      expect(await store.batches.delete(projectId, b.id)).toBe(true);
      expect(await store.batches.lines(b.id)).toEqual([]);
      expect(await store.batches.delete(projectId, b.id)).toBe(false);
    });

    it("writes a large batch's lines in chunks, all of them, and reads them back a page at a time", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, { requestCount: 1234 });
      const many = Array.from({ length: 1234 }, (_, index): BatchLine => ({ index, key: `k${index}`, request: "{}", state: "pending" }));
      await store.batches.insert(b, many);
      expect(await store.batches.pendingLines(b.id, 2000)).toHaveLength(1234);
      expect((await store.batches.linesFrom(b.id, 1000, 100)).map((l) => l.index)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
      expect((await store.batches.linesFrom(b.id, 1200, 100)).map((l) => l.key)).toEqual(Array.from({ length: 34 }, (_, i) => `k${1200 + i}`));
      expect(await store.batches.linesFrom(b.id, 1234, 100)).toEqual([]);
      // The output needs keys and results only: requests (up to MiBs each) are not read back.
      expect((await store.batches.linesFrom(b.id, 0, 2)).map((l) => l.request)).toEqual([undefined, undefined]);
    });

    it("appends lines to a batch in the transaction that inserts it, counting them; a failure leaves nothing", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, { requestCount: 0 });
      const [first, second, failed] = batchLines();
      await store.transaction(async (tx) => {
        await tx.batches.insert(b, []);
        await tx.batches.appendLines(b.id, [first!, second!]);
        await tx.batches.appendLines(b.id, [{ ...failed!, index: 2 }]);
      });
      expect(await store.batches.get(projectId, b.id)).toMatchObject({ requestCount: 3, failedRequestCount: 1, successfulRequestCount: 0 });
      expect((await store.batches.lines(b.id)).map((l) => [l.index, l.key, l.state])).toEqual([
        [0, "a", "pending"],
        [1, "b", "pending"],
        [2, "line-3", "failed"],
      ]);

      const abandoned = batch(projectId, { requestCount: 0 });
      await expect(
        store.transaction(async (tx) => {
          await tx.batches.insert(abandoned, []);
          await tx.batches.appendLines(abandoned.id, batchLines());
          throw new Error("the input was found wanting");
        }),
      ).rejects.toThrow("found wanting");
      expect(await store.batches.get(projectId, abandoned.id)).toBeUndefined();
      expect(await store.batches.lines(abandoned.id)).toEqual([]);
    });

    it("hides a batch while its input goes in: not gotten, listed, claimed, counted, expired or deleted until revealed", async () => {
      const { store, projectId } = f;
      const hidden = batch(projectId, { requestCount: 0, deadlineAt: T0 + 10, webhookConfig: { uris: ["https://a.example/x"] } });
      await store.batches.insertHidden(hidden);
      // Each chunk in a transaction of its own, as a JSONL file is read.
      const [first, second, failed] = batchLines();
      await store.batches.appendLines(hidden.id, [first!, second!]);
      await store.batches.appendLines(hidden.id, [failed!]);

      expect(await store.batches.get(projectId, hidden.id)).toBeUndefined();
      await store.transaction(async (tx) => expect(await tx.batches.getForUpdate(projectId, hidden.id)).toBeUndefined());
      expect(await store.batches.getMany(projectId, [hidden.id])).toEqual([]);
      expect((await store.batches.list(projectId, PAGE)).items).toEqual([]);
      expect((await store.operations.listAllKinds(projectId, {}, PAGE)).items).toEqual([]);
      expect((await store.operations.listAllKinds(projectId, { done: true }, PAGE)).items).toEqual([]);
      expect(await store.batches.claim(T0 + 100, T0 + 1000)).toBeUndefined();
      expect(await store.batches.listExpired(T0 + 100, 10)).toEqual([]);
      expect(await store.stats.unfinishedOperations()).toEqual([]);
      expect(await store.stats.unfinishedBatchLines()).toEqual([
        { state: "pending", count: 0 },
        { state: "succeeded", count: 0 },
        { state: "failed", count: 0 },
      ]);
      expect(await store.batches.delete(projectId, hidden.id)).toBe(false);
      expect(await store.batches.lines(hidden.id)).toHaveLength(3);
      // Created at T0: abandoned if that is before the bound asked for.
      expect(await store.batches.listHidden(T0, 10)).toEqual([]);
      expect(await store.batches.listHidden(T0 + 1, 10)).toEqual([hidden.id]);

      const revealed = await store.batches.reveal(hidden.id, T0 + 7);
      expect(revealed).toEqual({ ...hidden, requestCount: 3, failedRequestCount: 1, updatedAt: T0 + 7 });
      expect(await store.batches.get(projectId, hidden.id)).toEqual(revealed);
      expect((await store.batches.list(projectId, PAGE)).items.map((b) => b.id)).toEqual([hidden.id]);
      expect((await store.operations.listAllKinds(projectId, { done: false }, PAGE)).items).toEqual([{ kind: "batch", id: hidden.id }]);
      expect(await store.stats.unfinishedOperations()).toEqual([{ kind: "batch", state: "BATCH_STATE_PENDING", count: 1 }]);
      expect(await store.batches.listHidden(T0 + 1, 10)).toEqual([]);
      expect(await store.batches.reveal(hidden.id, T0 + 8)).toBeUndefined();
      expect((await store.batches.listExpired(T0 + 100, 10)).map((b) => b.id)).toEqual([hidden.id]);
      expect(await store.batches.claim(T0 + 100, T0 + 1000)).toMatchObject({ id: hidden.id, state: "BATCH_STATE_RUNNING", requestCount: 3 });
    });

    it("deletes a hidden batch with its lines a step at a time, and never a visible one", async () => {
      const { store, projectId } = f;
      const hidden = batch(projectId, { requestCount: 0, createdAt: T0 - 10 });
      const younger = batch(projectId, { requestCount: 0, createdAt: T0 - 5 });
      await store.batches.insertHidden(hidden);
      await store.batches.insertHidden(younger);
      await store.batches.appendLines(
        hidden.id,
        Array.from({ length: 1234 }, (_, index): BatchLine => ({ index, key: `k${index}`, request: "{}", state: "pending" })),
      );
      expect(await store.batches.listHidden(T0, 1)).toEqual([hidden.id]);
      expect(await store.batches.listHidden(T0, 10)).toEqual([hidden.id, younger.id]);

      const steps: boolean[] = [];
      do steps.push(await store.batches.discardHidden(hidden.id, 500));
      while (steps.at(-1) === false);
      expect(steps).toEqual([false, false, true]);
      expect(await store.batches.lines(hidden.id)).toEqual([]);
      expect(await store.batches.listHidden(T0, 10)).toEqual([younger.id]);
      expect(await store.batches.reveal(hidden.id, T0)).toBeUndefined();
      expect(await store.batches.discardHidden(hidden.id, 500)).toBe(true);
      expect(await store.batches.discardHidden(younger.id, 500)).toBe(true);
      expect(await store.batches.listHidden(T0, 10)).toEqual([]);

      const visible = batch(projectId);
      await store.batches.insert(visible, batchLines());
      expect(await store.batches.discardHidden(visible.id, 500)).toBe(true);
      expect(await store.batches.get(projectId, visible.id)).toEqual(visible);
      expect(await store.batches.lines(visible.id)).toHaveLength(3);
    });

    it("finds unfinished batches past their deadline", async () => {
      const { store, projectId } = f;
      const late = batch(projectId, { deadlineAt: T0 + 10 });
      const done = batch(projectId, { deadlineAt: T0 + 10, state: "BATCH_STATE_SUCCEEDED" });
      const later = batch(projectId, { deadlineAt: T0 + 1000 });
      for (const b of [late, done, later]) await store.batches.insert(b, []);
      expect((await store.batches.listExpired(T0 + 10, 10)).map((b) => b.id)).toEqual([late.id]);
    });
  });
}
