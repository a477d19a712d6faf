import { describe, expect, it } from "vitest";
import { operation, PAGE, T0, type StoreFixture } from "./fixtures.js";

export function describeOperations(f: StoreFixture): void {
  describe("operations", () => {
    it("stores an operation with its webhook_config and updates its outcome", async () => {
      const { store, projectId } = f;
      const op = operation(projectId, { metadata: { customer: "c1" }, webhookConfig: { uris: ["https://a.example/x"], user_metadata: { k: 1 } }, expireAt: T0 + 100 });
      await store.operations.insert(op);
      expect(await store.operations.get(projectId, op.id)).toEqual(op);
      expect(await store.operations.get("other-project", op.id)).toBeUndefined();
      const done = { ...op, state: "succeeded" as const, response: { rows: 3 }, outputFileUri: "files/out", updatedAt: T0 + 5 };
      await store.transaction(async (tx) => {
        expect(await tx.operations.getForUpdate(projectId, op.id)).toEqual(op);
        await tx.operations.update(done);
      });
      expect(await store.operations.get(projectId, op.id)).toEqual(done);
      const failed = { ...done, state: "failed" as const, response: undefined, outputFileUri: undefined, error: { code: 13, message: "boom" } };
      await store.operations.update(failed);
      expect(await store.operations.get(projectId, op.id)).toEqual(failed);
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
      expect((await store.operations.list(projectId, { done: false }, PAGE)).items.map((o) => o.id).sort()).toEqual([expiring.id, later.id, open.id].sort());
      expect((await store.operations.list(projectId, { done: true, type: "export" }, PAGE)).items.map((o) => o.id)).toEqual([finished.id]);
      expect((await store.operations.list(projectId, { type: "render" }, PAGE)).items.map((o) => o.id)).toEqual([later.id]);
    });
  });
}
