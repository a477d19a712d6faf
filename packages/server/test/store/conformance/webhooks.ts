import { describe, expect, it } from "vitest";
import { T0, webhook, type StoreFixture } from "./fixtures.js";

export function describeWebhooks(f: StoreFixture): void {
  describe("webhooks", () => {
    it("stores, pages, updates and deletes webhooks, scoped to their project", async () => {
      const { store, projectId } = f;
      const hooks = [
        webhook(projectId, { createdAt: T0 }),
        webhook(projectId, { createdAt: T0 + 1 }),
        webhook(projectId, { createdAt: T0 + 2 }),
      ];
      for (const h of hooks) await store.webhooks.insert(h);
      const first = await store.webhooks.list(projectId, { pageSize: 2, offset: 0 });
      expect(first.items.map((h) => h.id)).toEqual([hooks[0]!.id, hooks[1]!.id]);
      expect(first.nextPageToken).toBeDefined();
      const second = await store.webhooks.list(projectId, { pageSize: 2, offset: 2 });
      expect(second.items.map((h) => h.id)).toEqual([hooks[2]!.id]);
      expect(second.nextPageToken).toBeUndefined();
      await store.webhooks.update({
        ...hooks[0]!,
        name: "renamed",
        subscribedEvents: ["batch.*"],
        lastSuccessAt: T0 + 5,
      });
      expect(await store.webhooks.get(projectId, hooks[0]!.id)).toMatchObject({
        name: "renamed",
        subscribedEvents: ["batch.*"],
        lastSuccessAt: T0 + 5,
      });
      expect(await store.webhooks.get("other-project", hooks[0]!.id)).toBeUndefined();
      expect(await store.webhooks.delete("other-project", hooks[0]!.id, T0)).toBe(false);
      expect(await store.webhooks.delete(projectId, hooks[0]!.id, T0)).toBe(true);
      expect(await store.webhooks.get(projectId, hooks[0]!.id)).toBeUndefined();
    });

    it("counts a project's webhooks in every state", async () => {
      const { store, projectId } = f;
      expect(await store.webhooks.count(projectId)).toBe(0);
      for (const h of [webhook(projectId), webhook(projectId, { state: "disabled" }), webhook("other-project")])
        await store.webhooks.insert(h);
      expect(await store.webhooks.count(projectId)).toBe(2);
      expect(await store.webhooks.count("other-project")).toBe(1);
    });

    it("keeps each webhook's signing scheme", async () => {
      const { store, projectId } = f;
      const hmac = webhook(projectId);
      const ed25519 = webhook(projectId, { signingScheme: "v1a", createdAt: T0 + 1 });
      for (const h of [hmac, ed25519]) await store.webhooks.insert(h);
      expect(
        (await store.webhooks.list(projectId, { pageSize: 10, offset: 0 })).items.map((h) => h.signingScheme),
      ).toEqual(["v1", "v1a"]);
      expect((await store.webhooks.listEnabled([projectId])).find((h) => h.id === ed25519.id)?.signingScheme).toBe(
        "v1a",
      );
      await store.webhooks.update({ ...ed25519, sealedSecrets: "rotated" });
      expect(await store.webhooks.get(projectId, ed25519.id)).toMatchObject({
        signingScheme: "v1a",
        sealedSecrets: "rotated",
      });
    });

    it("lists the enabled ones, by project or by id", async () => {
      const { store, projectId } = f;
      const on = webhook(projectId);
      const off = webhook(projectId, { state: "disabled" });
      const elsewhere = webhook("other-project");
      for (const h of [on, off, elsewhere]) await store.webhooks.insert(h);
      expect((await store.webhooks.listEnabled([projectId])).map((h) => h.id)).toEqual([on.id]);
      expect((await store.webhooks.listEnabled([projectId, "other-project"])).map((h) => h.id).sort()).toEqual(
        [on.id, elsewhere.id].sort(),
      );
      expect(await store.webhooks.listEnabled([])).toEqual([]);
    });

    it("disables an enabled webhook once", async () => {
      const { store, projectId } = f;
      const h = webhook(projectId);
      await store.webhooks.insert(h);
      expect(await store.webhooks.disable(projectId, h.id, "disabled_due_to_failed_deliveries", T0 + 8)).toBe(true);
      expect(await store.webhooks.disable(projectId, h.id, "disabled", T0 + 9)).toBe(false);
      expect(await store.webhooks.get(projectId, h.id)).toMatchObject({
        state: "disabled_due_to_failed_deliveries",
        updatedAt: T0 + 8,
      });
      expect(await store.webhooks.disable("other-project", h.id, "disabled", T0 + 9)).toBe(false);
    });
  });
}
