import { describe, expect, it } from "vitest";
import { parseEventId } from "../../../src/core/ids.js";
import { event, PAGE, T0, type StoreFixture } from "./fixtures.js";

export function describeEvents(f: StoreFixture): void {
  describe("events", () => {
    it("gives each event an id made from its key, stores the exact payload and lists by type and operation, scoped to the project", async () => {
      const { store, projectId } = f;
      const a = event(projectId, { operation: "operations/a", createdAt: T0 });
      const b = event(projectId, {
        type: "export.failed",
        operation: "operations/b",
        createdAt: T0 + 1,
        payload: {
          type: "export.failed",
          version: "v1",
          timestamp: "t",
          data: { id: "operations/b", error_code: 13, error_message: 'é \u2028 "quoted"' },
        },
      });
      const ping = event(projectId, {
        type: "webhook.ping",
        operation: undefined,
        createdAt: T0 + 2,
        payload: { type: "webhook.ping", version: "v1", timestamp: "t", data: { id: "webhooks/w", webhook_id: "w" } },
      });
      const stored = await store.events.insert([a, b, ping]);
      expect(stored.map(({ id: _, ...rest }) => rest)).toEqual([a, b, ping]);
      // Ids are msg_ + 27 characters, in the order the events were written, and never the same twice.
      for (const e of stored) expect(e.id).toMatch(/^msg_[0-9A-Za-z]{27}$/);
      const keys = stored.map((e) => parseEventId(e.id)!.key);
      expect(keys).toEqual([...keys].sort((x, y) => x - y));
      expect(new Set(keys).size).toBe(3);
      const [sa, sb, sping] = stored as [(typeof stored)[0], (typeof stored)[0], (typeof stored)[0]];
      expect(await store.events.get(projectId, sb.id)).toEqual(sb);
      expect(await store.events.get("other-project", sb.id)).toBeUndefined();
      // The key alone does not find an event: its random tag must match too.
      expect(await store.events.get(projectId, `${sb.id.slice(0, 15)}${"0".repeat(16)}`)).toBeUndefined();
      expect(await store.events.get(projectId, "msg_not-an-id")).toBeUndefined();
      expect((await store.events.list(projectId, {}, PAGE)).items.map((e) => e.id)).toEqual([sa.id, sb.id, sping.id]);
      expect((await store.events.list(projectId, { type: "export.failed" }, PAGE)).items.map((e) => e.id)).toEqual([
        sb.id,
      ]);
      expect((await store.events.list(projectId, { operation: "operations/a" }, PAGE)).items.map((e) => e.id)).toEqual([
        sa.id,
      ]);
      expect((await store.events.list(projectId, { type: "export.cancelled" }, PAGE)).items).toEqual([]);
      expect((await store.events.list("other-project", {}, PAGE)).items).toEqual([]);
    });
  });
}
