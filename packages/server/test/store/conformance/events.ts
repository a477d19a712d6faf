import { describe, expect, it } from "vitest";
import { event, PAGE, T0, type StoreFixture } from "./fixtures.js";

export function describeEvents(f: StoreFixture): void {
  describe("events", () => {
    it("stores the exact payload and lists by type and operation, scoped to the project", async () => {
      const { store, projectId } = f;
      const a = event(projectId, { operation: "operations/a", createdAt: T0 });
      const b = event(projectId, {
        type: "export.failed",
        operation: "operations/b",
        createdAt: T0 + 1,
        payload: { type: "export.failed", version: "v1", timestamp: "t", data: { id: "operations/b", error_code: 13, error_message: 'é \u2028 "quoted"' } },
      });
      const ping = event(projectId, {
        type: "webhook.ping",
        operation: undefined,
        createdAt: T0 + 2,
        payload: { type: "webhook.ping", version: "v1", timestamp: "t", data: { id: "webhooks/w", webhook_id: "w" } },
      });
      await store.events.insert([a, b, ping]);
      expect(await store.events.get(projectId, b.id)).toEqual(b);
      expect(await store.events.get("other-project", b.id)).toBeUndefined();
      expect((await store.events.list(projectId, {}, PAGE)).items.map((e) => e.id)).toEqual([a.id, b.id, ping.id]);
      expect((await store.events.list(projectId, { type: "export.failed" }, PAGE)).items.map((e) => e.id)).toEqual([b.id]);
      expect((await store.events.list(projectId, { operation: "operations/a" }, PAGE)).items.map((e) => e.id)).toEqual([a.id]);
      expect((await store.events.list(projectId, { type: "export.cancelled" }, PAGE)).items).toEqual([]);
      expect((await store.events.list("other-project", {}, PAGE)).items).toEqual([]);
    });
  });
}
