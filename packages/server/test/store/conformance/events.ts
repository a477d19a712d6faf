import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../../src/core/events.js";
import { newResourceId, parseEventId } from "../../../src/core/ids.js";
import { delivery, event, PAGE, T0, type StoreFixture, webhook } from "./fixtures.js";

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

    it("writes a turn's events of several projects, and their deliveries to each project's webhooks, under the right keys", async () => {
      const { store, projectId } = f;
      const otherId = newResourceId(T0 + 1);
      await store.projects.insert({ id: otherId, displayName: "other", isDefault: false, createdAt: T0 });
      const [mine, theirs] = [webhook(projectId), webhook(otherId)];
      await store.webhooks.insert(mine);
      await store.webhooks.insert(theirs);
      // One insert of each, as the outbox writes a turn's endings: each row finds its project's and webhook's key.
      const { events, deliveries } = await store.transaction(async (tx) => {
        const events = await tx.events.insert([
          event(projectId),
          event(otherId),
          event(projectId, { createdAt: T0 + 2 }),
        ]);
        const [a, b, c] = events as [StoredEvent, StoredEvent, StoredEvent];
        const deliveries = await tx.deliveries.insert(
          [
            delivery(a, { webhookId: mine.id, uri: mine.uri }),
            delivery(b, { webhookId: theirs.id, uri: theirs.uri }),
            delivery(b, { uri: "https://dynamic.example/hook" }),
            delivery(c, { webhookId: mine.id, uri: mine.uri }),
          ],
          T0,
        );
        return { events, deliveries };
      });
      const [a, b, c] = events as [StoredEvent, StoredEvent, StoredEvent];
      expect((await store.events.list(projectId, {}, PAGE)).items.map((e) => e.id)).toEqual([a.id, c.id]);
      expect((await store.events.list(otherId, {}, PAGE)).items.map((e) => e.id)).toEqual([b.id]);
      const listed = async (project: string, webhookId?: string) =>
        (await store.deliveries.list(project, webhookId === undefined ? {} : { webhookId }, PAGE)).items.map((d) => [
          d.eventId,
          d.webhookId,
          d.uri,
        ]);
      expect(await listed(projectId, mine.id)).toEqual([
        [a.id, mine.id, mine.uri],
        [c.id, mine.id, mine.uri],
      ]);
      expect(await listed(otherId)).toEqual([
        [b.id, theirs.id, theirs.uri],
        [b.id, undefined, "https://dynamic.example/hook"],
      ]);
      expect(deliveries.map((d) => d.webhookId)).toEqual([mine.id, theirs.id, undefined, mine.id]);
    });

    it("writes more events and deliveries than one insert statement holds, each under its own keys, in order", async () => {
      const { store, projectId } = f;
      const otherId = newResourceId(T0 + 1);
      await store.projects.insert({ id: otherId, displayName: "other", isDefault: false, createdAt: T0 });
      const hooks = { [projectId]: webhook(projectId), [otherId]: webhook(otherId) };
      for (const hook of Object.values(hooks)) await store.webhooks.insert(hook);
      // 300 rows: more than SQLite's 128 per insert whose rows look their keys up.
      const owners = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? otherId : projectId));
      const { events, deliveries } = await store.transaction(async (tx) => {
        const events = await tx.events.insert(owners.map((p, i) => event(p, { createdAt: T0 + i })));
        const deliveries = await tx.deliveries.insert(
          events.map((e) => delivery(e, { webhookId: hooks[e.projectId]?.id })),
          T0,
        );
        return { events, deliveries };
      });
      const keys = events.map((e) => parseEventId(e.id)!.key);
      expect(keys).toEqual([...keys].sort((x, y) => x - y));
      expect(events.map((e) => e.projectId)).toEqual(owners);
      expect(deliveries.map((d) => d.webhookId)).toEqual(owners.map((p) => hooks[p]?.id));
      const page = { pageSize: 300, offset: 0 };
      const listed = (await store.events.list(otherId, {}, page)).items;
      expect(listed.map((e) => e.id)).toEqual(events.filter((e) => e.projectId === otherId).map((e) => e.id));
      const sent = (await store.deliveries.list(otherId, { webhookId: hooks[otherId]?.id }, page)).items;
      expect(sent.map((d) => d.eventId)).toEqual(listed.map((e) => e.id));
    });
  });
}
