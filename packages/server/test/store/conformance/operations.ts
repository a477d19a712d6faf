import { describe, expect, it } from "vitest";
import type { OperationFilter } from "../../../src/core/operations.js";
import type { StoreAggregates } from "../../../src/store/store.js";
import { batch, ended, operation, PAGE, T0, video, type StoreFixture } from "./fixtures.js";

export function describeOperations(f: StoreFixture): void {
  describe("operations", () => {
    it("lists operations of every kind, oldest first, by kind and done", async () => {
      const { store, projectId } = f;
      const first = operation(projectId, { createdAt: T0 });
      const running = batch(projectId, { createdAt: T0 + 1 });
      const ended = batch(projectId, { createdAt: T0 + 2, state: "BATCH_STATE_SUCCEEDED" });
      const last = operation(projectId, { createdAt: T0 + 3, state: "cancelled" });
      await store.operations.insert(first);
      await store.batches.insert(running, []);
      await store.batches.insert(ended, []);
      await store.operations.insert(last);
      const rendering = video(projectId, { createdAt: T0 + 4, state: "running", handle: "h" });
      const rendered = video(projectId, { createdAt: T0 + 5, state: "succeeded", fileId: "f" });
      await store.videos.insert(rendering);
      await store.videos.insert(rendered);
      await store.batches.insert(batch("other-project"), []);
      await store.videos.insert(video("other-project"));
      const refs = async (filter: OperationFilter, page = PAGE) =>
        (await store.operations.listAllKinds(projectId, filter, page)).items;
      expect(await refs({})).toEqual([
        { kind: "custom", id: first.id },
        { kind: "batch", id: running.id },
        { kind: "batch", id: ended.id },
        { kind: "custom", id: last.id },
        { kind: "video", id: rendering.id },
        { kind: "video", id: rendered.id },
      ]);
      expect(await refs({ kind: "batch", done: false })).toEqual([{ kind: "batch", id: running.id }]);
      expect(await refs({ kind: "video", done: false })).toEqual([{ kind: "video", id: rendering.id }]);
      expect(await refs({ done: true })).toEqual([
        { kind: "batch", id: ended.id },
        { kind: "custom", id: last.id },
        { kind: "video", id: rendered.id },
      ]);
      expect(await refs({}, { pageSize: 2, offset: 2 })).toEqual([
        { kind: "batch", id: ended.id },
        { kind: "custom", id: last.id },
      ]);
      expect((await store.batches.getMany(projectId, [ended.id, running.id])).map((b) => b.id).sort()).toEqual(
        [ended.id, running.id].sort(),
      );
      expect((await store.videos.getMany(projectId, [rendered.id, "missing"])).map((v) => v.id)).toEqual([rendered.id]);
    });

    it("stores an operation with its webhook_config and ends it only where it still runs in its project", async () => {
      const { store, projectId } = f;
      const op = operation(projectId, {
        metadata: { customer: "c1" },
        webhookConfig: { uris: ["https://a.example/x"], user_metadata: { k: 1 } },
        expireAt: T0 + 100,
      });
      await store.operations.insert(op);
      expect(await store.operations.get(projectId, op.id)).toEqual(op);
      expect(await store.operations.get("other-project", op.id)).toBeUndefined();
      const other = operation(projectId);
      const elsewhere = operation(projectId);
      for (const o of [other, elsewhere]) await store.operations.insert(o);
      const locked = await store.transaction((tx) =>
        tx.operations.getManyForUpdate([
          { projectId, id: op.id },
          { projectId, id: other.id },
          { projectId: "other-project", id: op.id },
          { projectId, id: "missing" },
        ]),
      );
      expect(locked.map((o) => o.id).sort()).toEqual([op.id, other.id].sort());
      expect(locked.find((o) => o.id === op.id)).toEqual(op);

      const done = {
        ...op,
        state: "succeeded" as const,
        response: { rows: 3 },
        outputFileUri: "files/out",
        updatedAt: T0 + 5,
      };
      const error = { code: 1, message: "the operation was cancelled" };
      const cancelled = { ...other, state: "cancelled" as const, error, updatedAt: T0 + 6 };
      const returned = await store.transaction((tx) =>
        tx.operations.endMany([
          {
            projectId,
            id: op.id,
            ending: { state: "succeeded", response: { rows: 3 }, outputFileUri: "files/out", updatedAt: T0 + 5 },
          },
          { projectId, id: other.id, ending: { state: "cancelled", error, updatedAt: T0 + 6 } },
          // Not this project's: left as it is, as is one that does not exist.
          { projectId: "other-project", id: elsewhere.id, ending: { state: "cancelled", error, updatedAt: T0 + 6 } },
          { projectId, id: "missing", ending: { state: "cancelled", error, updatedAt: T0 + 6 } },
        ]),
      );
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect([...returned].sort(byId)).toEqual([done, cancelled].sort(byId));
      expect(await store.operations.get(projectId, op.id)).toEqual(done);
      expect(await store.operations.get(projectId, other.id)).toEqual(cancelled);
      expect(await store.operations.get(projectId, elsewhere.id)).toEqual(elsewhere);
      // An operation ends once: a second ending changes nothing and returns nothing.
      const again = await store.transaction((tx) =>
        tx.operations.endMany([{ projectId, id: op.id, ending: { state: "failed", error, updatedAt: T0 + 7 } }]),
      );
      expect(again).toEqual([]);
      expect(await store.operations.get(projectId, op.id)).toEqual(done);
    });

    it("ending locks operations in id order: a transaction ending them in the other order cannot deadlock it", async () => {
      const { store, projectId } = f;
      const ops = Array.from({ length: 50 }, () => operation(projectId)).sort((a, b) => (a.id < b.id ? -1 : 1));
      // Stored from the highest id down, so that neither the list's order nor the table's is the ids'.
      for (const o of [...ops].reverse()) await store.operations.insert(o);
      const endAll = (list: typeof ops, at: number) => (tx: StoreAggregates) =>
        tx.operations.endMany(list.map((o) => ended(o, at)));
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const first = store.transaction(async (tx) => {
        await tx.operations.getManyForUpdate([{ projectId, id: ops[0]!.id }]);
        holding();
        // The second transaction meanwhile takes what it can of the rest, in its order, and waits for the lowest.
        await new Promise((resolve) => setTimeout(resolve, 150));
        return endAll(ops, T0 + 1)(tx);
      });
      await held;
      const second = store.transaction(endAll([...ops].reverse(), T0 + 2));
      const [endedFirst, endedSecond] = await Promise.all([first, second]);
      expect(endedFirst.map((o) => o.id).sort()).toEqual(ops.map((o) => o.id));
      expect(endedSecond).toEqual([]);
    });

    it("filters by done and type, and finds operations to expire", async () => {
      const { store, projectId } = f;
      const expiring = operation(projectId, { expireAt: T0 + 100 });
      const later = operation(projectId, { expireAt: T0 + 500, type: "render" });
      const open = operation(projectId);
      const finished = operation(projectId, { state: "succeeded", expireAt: T0 + 50 });
      for (const o of [expiring, later, open, finished]) await store.operations.insert(o);
      expect(await store.operations.nextExpireAt()).toBe(T0 + 100);
      expect((await store.operations.listExpired(T0 + 100, 10)).map((o) => o.id)).toEqual([expiring.id]);
      expect((await store.operations.listExpired(T0 + 1000, 1)).map((o) => o.id)).toEqual([expiring.id]);
      const listed = async (filter: OperationFilter) =>
        (await store.operations.listAllKinds(projectId, filter, PAGE)).items.map((o) => o.id).sort();
      expect(await listed({ done: false })).toEqual([expiring.id, later.id, open.id].sort());
      expect(await listed({ done: true, type: "export" })).toEqual([finished.id]);
      expect(await listed({ type: "render" })).toEqual([later.id]);
      expect(
        (await store.operations.getMany(projectId, [open.id, finished.id, "missing"])).map((o) => o.id).sort(),
      ).toEqual([open.id, finished.id].sort());
      expect(await store.operations.getMany("other-project", [open.id])).toEqual([]);
    });
  });
}
