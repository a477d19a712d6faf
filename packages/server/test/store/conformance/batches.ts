import { describe, expect, it } from "vitest";
import type { BatchLine } from "../../../src/core/batches.js";
import { batch, batchLines, PAGE, T0, type StoreFixture } from "./fixtures.js";

export function describeBatches(f: StoreFixture): void {
  describe("batches", () => {
    it("stores a batch with its lines and leases it to one runner at a time", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, {
        failedRequestCount: 1,
        webhookConfig: { uris: ["https://a.example/x"], user_metadata: { k: 1 } },
      });
      await store.batches.insert(b, batchLines());
      expect(await store.batches.get(projectId, b.id)).toEqual(b);
      expect(await store.batches.get("other-project", b.id)).toBeUndefined();
      expect((await store.batches.list(projectId, PAGE)).items.map((x) => x.id)).toEqual([b.id]);
      expect((await store.batchLines.all(b.id)).map((l) => l.key)).toEqual(["a", "b", "line-3"]);

      expect(await store.batches.claim(T0 + 1, T0 + 1000)).toMatchObject({ id: b.id, state: "BATCH_STATE_RUNNING" });
      expect(await store.batches.claim(T0 + 2, T0 + 1000)).toBeUndefined();
      expect((await store.batches.claim(T0 + 1001, T0 + 2000))?.id).toBe(b.id);
      expect(await store.batches.renewLease(b.id, T0 + 9000)).toBe(true);
      expect(await store.batches.claim(T0 + 2001, T0 + 3000)).toBeUndefined();
    });

    it("answers a renewal with whether the lease is still held: no longer once the batch ended or is gone", async () => {
      const { store, projectId } = f;
      const b = batch(projectId);
      await store.batches.insert(b, batchLines());
      const running = await store.batches.claim(T0, T0 + 60_000);
      expect(await store.batches.renewLease(b.id, T0 + 90_000)).toBe(true);
      await store.batches.update({ ...running!, state: "BATCH_STATE_CANCELLED", endedAt: T0 + 1, updatedAt: T0 + 1 });
      expect(await store.batches.renewLease(b.id, T0 + 120_000)).toBe(false);
      // The refused renewal left no lease behind on the ended batch.
      expect(await store.batches.releaseAll()).toBe(0);
      expect(await store.batches.renewLease("no-such-batch", T0 + 120_000)).toBe(false);
    });

    it("leaves a batch past its deadline to expire: it is not claimed", async () => {
      const { store, projectId } = f;
      const b = batch(projectId, { deadlineAt: T0 + 10 });
      await store.batches.insert(b, batchLines());
      expect(await store.batches.claim(T0 + 10, T0 + 1000)).toBeUndefined();
      expect((await store.batches.claim(T0 + 9, T0 + 1000))?.id).toBe(b.id);
      // A lease that ran out after the deadline is not taken over either.
      expect(await store.batches.claim(T0 + 1001, T0 + 2000)).toBeUndefined();
    });

    it("writes a finished batch, ending its lease; releases leases after a crash; deletes with its lines", async () => {
      const { store, projectId } = f;
      const b = batch(projectId);
      await store.batches.insert(b, batchLines());
      await store.batches.claim(T0, T0 + 60_000);
      expect(await store.batches.releaseAll()).toBe(1);
      const running = await store.batches.claim(T0 + 2, T0 + 60_000);
      expect(running?.id).toBe(b.id);
      const done = {
        ...running!,
        state: "BATCH_STATE_SUCCEEDED" as const,
        outputFile: "files/out",
        endedAt: T0 + 3,
        updatedAt: T0 + 3,
      };
      await store.transaction(async (tx) => {
        expect((await tx.batches.getForUpdate(projectId, b.id))?.state).toBe("BATCH_STATE_RUNNING");
        await tx.batches.update(done);
      });
      expect(await store.batches.get(projectId, b.id)).toMatchObject({
        state: "BATCH_STATE_SUCCEEDED",
        outputFile: "files/out",
        endedAt: T0 + 3,
      });
      expect(await store.batches.claim(T0 + 100_000, T0 + 200_000)).toBeUndefined();
      expect(await store.batches.delete(projectId, b.id)).toBe(true);
      expect(await store.batchLines.all(b.id)).toEqual([]);
      expect(await store.batches.delete(projectId, b.id)).toBe(false);
    });

    it("hides a batch while its input goes in: not gotten, listed, claimed, counted, expired or deleted until revealed", async () => {
      const { store, projectId } = f;
      const hidden = batch(projectId, {
        requestCount: 0,
        deadlineAt: T0 + 10,
        webhookConfig: { uris: ["https://a.example/x"] },
      });
      await store.batches.insertHidden(hidden);
      // Each chunk in a transaction of its own, as a JSONL file is read.
      const [first, second, failed] = batchLines();
      await store.batchLines.append(hidden.id, [first!, second!]);
      await store.batchLines.append(hidden.id, [failed!]);

      expect(await store.batches.get(projectId, hidden.id)).toBeUndefined();
      await store.transaction(async (tx) =>
        expect(await tx.batches.getForUpdate(projectId, hidden.id)).toBeUndefined(),
      );
      expect(await store.batches.getMany(projectId, [hidden.id])).toEqual([]);
      expect((await store.batches.list(projectId, PAGE)).items).toEqual([]);
      expect((await store.operations.listAllKinds(projectId, {}, PAGE)).items).toEqual([]);
      expect((await store.operations.listAllKinds(projectId, { done: true }, PAGE)).items).toEqual([]);
      expect(await store.batches.claim(T0 + 100, T0 + 1000)).toBeUndefined();
      expect(await store.batches.listExpired(T0 + 100, 10)).toEqual([]);
      expect(await store.batches.nextDeadlineAt()).toBeUndefined();
      expect(await store.stats.unfinishedOperations()).toEqual([]);
      expect(await store.stats.unfinishedBatchLines()).toEqual([
        { state: "pending", count: 0 },
        { state: "succeeded", count: 0 },
        { state: "failed", count: 0 },
      ]);
      expect(await store.batches.delete(projectId, hidden.id)).toBe(false);
      expect(await store.batchLines.all(hidden.id)).toHaveLength(3);
      // Created at T0: abandoned if that is before the bound asked for.
      expect(await store.batches.listHidden(T0, 10)).toEqual([]);
      expect(await store.batches.listHidden(T0 + 1, 10)).toEqual([hidden.id]);

      const revealed = await store.batches.reveal(hidden.id, T0 + 7);
      expect(revealed).toEqual({ ...hidden, requestCount: 3, failedRequestCount: 1, updatedAt: T0 + 7 });
      expect(await store.batches.get(projectId, hidden.id)).toEqual(revealed);
      expect((await store.batches.list(projectId, PAGE)).items.map((b) => b.id)).toEqual([hidden.id]);
      expect((await store.operations.listAllKinds(projectId, { done: false }, PAGE)).items).toEqual([
        { kind: "batch", id: hidden.id },
      ]);
      expect(await store.stats.unfinishedOperations()).toEqual([
        { kind: "batch", state: "BATCH_STATE_PENDING", count: 1 },
      ]);
      expect(await store.batches.listHidden(T0 + 1, 10)).toEqual([]);
      expect(await store.batches.reveal(hidden.id, T0 + 8)).toBeUndefined();
      expect(await store.batches.nextDeadlineAt()).toBe(T0 + 10);
      expect((await store.batches.listExpired(T0 + 100, 10)).map((b) => b.id)).toEqual([hidden.id]);
      expect(await store.batches.claim(T0 + 9, T0 + 1000)).toMatchObject({
        id: hidden.id,
        state: "BATCH_STATE_RUNNING",
        requestCount: 3,
      });
    });

    it("deletes a hidden batch with its lines a step at a time, and never a visible one", async () => {
      const { store, projectId } = f;
      const hidden = batch(projectId, { requestCount: 0, createdAt: T0 - 10 });
      const younger = batch(projectId, { requestCount: 0, createdAt: T0 - 5 });
      await store.batches.insertHidden(hidden);
      await store.batches.insertHidden(younger);
      await store.batchLines.append(
        hidden.id,
        Array.from(
          { length: 1234 },
          (_, index): BatchLine => ({ index, key: `k${index}`, request: "{}", state: "pending" }),
        ),
      );
      expect(await store.batches.listHidden(T0, 1)).toEqual([hidden.id]);
      expect(await store.batches.listHidden(T0, 10)).toEqual([hidden.id, younger.id]);

      const steps: boolean[] = [];
      do steps.push(await store.batches.discardHidden(hidden.id, 500));
      while (steps.at(-1) === false);
      expect(steps).toEqual([false, false, true]);
      expect(await store.batchLines.all(hidden.id)).toEqual([]);
      expect(await store.batches.listHidden(T0, 10)).toEqual([younger.id]);
      expect(await store.batches.reveal(hidden.id, T0)).toBeUndefined();
      expect(await store.batches.discardHidden(hidden.id, 500)).toBe(true);
      expect(await store.batches.discardHidden(younger.id, 500)).toBe(true);
      expect(await store.batches.listHidden(T0, 10)).toEqual([]);

      const visible = batch(projectId);
      await store.batches.insert(visible, batchLines());
      expect(await store.batches.discardHidden(visible.id, 500)).toBe(true);
      expect(await store.batches.get(projectId, visible.id)).toEqual(visible);
      expect(await store.batchLines.all(visible.id)).toHaveLength(3);
    });

    it("finds unfinished batches past their deadline, and when the next unfinished one reaches it", async () => {
      const { store, projectId } = f;
      expect(await store.batches.nextDeadlineAt()).toBeUndefined();
      const done = batch(projectId, { deadlineAt: T0 + 5, state: "BATCH_STATE_SUCCEEDED" });
      const late = batch(projectId, { deadlineAt: T0 + 10 });
      const later = batch(projectId, { deadlineAt: T0 + 1000 });
      for (const b of [late, done, later]) await store.batches.insert(b, []);
      expect((await store.batches.listExpired(T0 + 10, 10)).map((b) => b.id)).toEqual([late.id]);
      expect(await store.batches.nextDeadlineAt()).toBe(T0 + 10);
    });
  });
}
