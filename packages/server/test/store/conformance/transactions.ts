import { describe, expect, it } from "vitest";
import { delivery, ended, event, operation, PAGE, T0, webhook, type StoreFixture } from "./fixtures.js";

export function describeTransactions(f: StoreFixture): void {
  describe("transactions (the outbox's guarantee)", () => {
    it("commits a state change, its event and its deliveries together", async () => {
      const { store, projectId } = f;
      const op = operation(projectId);
      await store.operations.insert(op);
      const e = await store.transaction(async (tx) => {
        await tx.operations.endMany([ended(op, T0 + 1)]);
        const [stored] = await tx.events.insert([event(projectId)]);
        await tx.deliveries.insert([delivery(stored!)], T0);
        return stored!;
      });
      expect((await store.operations.get(projectId, op.id))?.state).toBe("succeeded");
      expect((await store.deliveries.list(projectId, { eventId: e.id }, PAGE)).items).toHaveLength(1);
    });

    it("writes nothing when the work throws, and passes the error on", async () => {
      const { store, projectId } = f;
      const op = operation(projectId);
      await store.operations.insert(op);
      let id = "";
      await expect(
        store.transaction(async (tx) => {
          await tx.operations.endMany([ended(op, T0 + 1)]);
          const [stored] = await tx.events.insert([event(projectId)]);
          id = stored!.id;
          await tx.deliveries.insert([delivery(stored!)], T0);
          throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      expect((await store.operations.get(projectId, op.id))?.state).toBe("running");
      expect(await store.events.get(projectId, id)).toBeUndefined();
      expect((await store.deliveries.list(projectId, {}, PAGE)).items).toEqual([]);
    });

    it("commits nothing when a delivery's write fails, and says why, though the work never waited for it", async () => {
      // On PostgreSQL the deliveries' insert is not waited for: the COMMIT goes out behind it (docs/store.md: round
      // trips). Writing the same event's deliveries twice numbers them alike, so the second insert collides.
      const { store, projectId } = f;
      const op = operation(projectId);
      await store.operations.insert(op);
      let id = "";
      const failed = store.transaction(async (tx) => {
        await tx.operations.endMany([ended(op, T0 + 1)]);
        const [stored] = await tx.events.insert([event(projectId)]);
        id = stored!.id;
        await tx.deliveries.insert([delivery(stored!)], T0);
        await tx.deliveries.insert([delivery(stored!)], T0);
      });
      await expect(failed).rejects.toThrow(/unique|duplicate/i);
      expect((await store.operations.get(projectId, op.id))?.state).toBe("running");
      expect(await store.events.get(projectId, id)).toBeUndefined();
      expect((await store.deliveries.list(projectId, {}, PAGE)).items).toEqual([]);
      // The connection serves the next transaction.
      const { deliveries } = await store.transaction(async (tx) => {
        const [stored] = await tx.events.insert([event(projectId)]);
        return { deliveries: await tx.deliveries.insert([delivery(stored!)], T0) };
      });
      expect((await store.deliveries.list(projectId, {}, PAGE)).items.map((d) => d.id)).toEqual(
        deliveries.map((d) => d.id),
      );
    });

    it("reports the failed delivery write, not the aborted statements after it", async () => {
      const { store, projectId } = f;
      const failed = store.transaction(async (tx) => {
        const [stored] = await tx.events.insert([event(projectId)]);
        await tx.deliveries.insert([delivery(stored!)], T0);
        await tx.deliveries.insert([delivery(stored!)], T0);
        await tx.webhooks.listEnabled([projectId]);
      });
      await expect(failed).rejects.toThrow(/unique|duplicate/i);
    });

    it("runs statements issued from outside while a transaction is open outside of it", async () => {
      const { store, projectId } = f;
      const inside = webhook(projectId);
      const outside = webhook(projectId);
      let release!: () => void;
      const holding = new Promise<void>((resolve) => (release = resolve));
      const tx = store.transaction(async (t) => {
        await t.webhooks.insert(inside);
        await holding;
        throw new Error("rolled back");
      });
      // Issued while the transaction is open: it must not join it (and so must survive its rollback).
      const write = store.webhooks.insert(outside);
      await new Promise((resolve) => setTimeout(resolve, 20));
      release();
      await expect(tx).rejects.toThrow("rolled back");
      await write;
      expect(await store.webhooks.get(projectId, inside.id)).toBeUndefined();
      expect(await store.webhooks.get(projectId, outside.id)).toEqual(outside);
    });

    it("lets many transactions run at once without losing any", async () => {
      const { store, projectId } = f;
      const ops = Array.from({ length: 20 }, () => operation(projectId));
      for (const op of ops) await store.operations.insert(op);
      await Promise.all(
        ops.map((op, i) =>
          store.transaction(async (tx) => {
            await tx.operations.endMany([ended(op, T0 + i, i % 2 === 0 ? "succeeded" : "failed")]);
          }),
        ),
      );
      expect((await store.operations.listAllKinds(projectId, { done: true }, PAGE)).items).toHaveLength(20);
    });

    it("keeps transactions that run at once apart: one that fails rolls back alone", async () => {
      const { store, projectId } = f;
      const ops = Array.from({ length: 10 }, () => operation(projectId));
      for (const op of ops) await store.operations.insert(op);
      const results = await Promise.allSettled(
        ops.map((op, i) =>
          store.transaction(async (tx) => {
            await tx.operations.endMany([ended(op, T0 + i)]);
            if (i === 4) throw new Error("this one fails");
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(ops.map((_, i) => (i === 4 ? "rejected" : "fulfilled")));
      const states = await Promise.all(ops.map(async (op) => (await store.operations.get(projectId, op.id))?.state));
      expect(states).toEqual(ops.map((_, i) => (i === 4 ? "running" : "succeeded")));
    });
  });
}
