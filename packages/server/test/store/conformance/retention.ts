import { describe, expect, it } from "vitest";
import type { DeliverySettlement } from "../../../src/core/deliveries.js";
import type { SettlementRound } from "../../../src/store/store.js";
import {
  batch,
  batchLines,
  delivery,
  event,
  file,
  interaction,
  operation,
  PAGE,
  T0,
  video,
  webhook,
  written,
  type StoreFixture,
} from "./fixtures.js";

const DAY = 24 * 3600_000;

const ended = (id: string, state: DeliverySettlement["state"]): SettlementRound => ({
  settlements: [
    {
      id,
      endpointKey: "origin:https://a.example",
      state,
      attemptCount: 1,
      nextAttemptAt: T0,
      attemptedAt: T0,
      lastLatencyMs: 1,
    },
  ],
  keptAttempts:
    state === "failed" ? [{ deliveryId: id, attemptNumber: 1, startedAt: T0, latencyMs: 1, statusCode: 500 }] : [],
  minutes: [],
  lastFailures: [],
  webhooksSucceeded: [],
  webhooksAtRisk: [],
});

export function describeRetention(f: StoreFixture): void {
  describe("retention (purging what outlived it)", () => {
    it("purges old events whose deliveries all ended, with their deliveries and attempts; never one with a delivery pending", async () => {
      const { store, projectId } = f;
      const old = (operation: string, createdAt = T0 - 10 * DAY) => event(projectId, { operation, createdAt });
      const succeeded = await written(store, old("operations/a"), (e) => [delivery(e, { uri: "https://a.example/1" })]);
      const failed = await written(store, old("operations/b"), (e) => [delivery(e, { uri: "https://a.example/1" })]);
      const pending = await written(store, old("operations/c"), (e) => [
        delivery(e, { uri: "https://a.example/1" }),
        delivery(e, { uri: "https://b.example/1" }),
      ]);
      const recent = await written(store, old("operations/d", T0), (e) => [
        delivery(e, { uri: "https://a.example/1" }),
      ]);
      await store.deliveries.settle(ended(succeeded.deliveries[0]!.id, "succeeded"), T0);
      await store.deliveries.settle(ended(failed.deliveries[0]!.id, "failed"), T0);
      await store.deliveries.settle(ended(pending.deliveries[0]!.id, "succeeded"), T0);

      const step = await store.retention.purgeEvents(projectId, T0 - DAY, 0, 100);
      expect(step.purged).toEqual({ events: 2, deliveries: 2, attempts: 1 });
      expect(step.next).toBeUndefined();
      for (const gone of [succeeded, failed]) {
        expect(await store.events.get(projectId, gone.event.id)).toBeUndefined();
        expect((await store.deliveries.list(projectId, { eventId: gone.event.id }, PAGE)).items).toEqual([]);
      }
      // Kept: the event with a delivery still pending (both its deliveries), and the recent one.
      expect((await store.deliveries.list(projectId, { eventId: pending.event.id }, PAGE)).items).toHaveLength(2);
      expect(await store.events.get(projectId, recent.event.id)).toBeDefined();
      // Another project's events are not this project's to purge.
      expect((await store.retention.purgeEvents("other-project", T0, 0, 100)).purged).toEqual({});
    });

    it("goes step by step through a long history", async () => {
      const { store, projectId } = f;
      for (let i = 0; i < 5; i++) await written(store, event(projectId, { createdAt: T0 - DAY + i }), () => []);
      const first = await store.retention.purgeEvents(projectId, T0, 0, 2);
      expect(first.purged.events).toBe(2);
      expect(first.next).toBeDefined();
      const second = await store.retention.purgeEvents(projectId, T0, first.next!, 2);
      expect(second.purged.events).toBe(2);
      const third = await store.retention.purgeEvents(projectId, T0, second.next!, 2);
      expect(third).toEqual({ purged: { events: 1, deliveries: 0, attempts: 0 } });
    });

    it("purges ended operations of every kind once no event names them; never a running one or one whose event is kept", async () => {
      const { store, projectId } = f;
      const before = T0 - DAY;
      const at = { createdAt: T0 - 10 * DAY, updatedAt: T0 - 10 * DAY };
      const done = operation(projectId, { ...at, state: "succeeded" });
      const running = operation(projectId, { ...at });
      const named = operation(projectId, { ...at, state: "failed" });
      for (const op of [done, running, named]) await store.operations.insert(op);
      await written(store, event(projectId, { operation: `operations/${named.id}`, createdAt: T0 - 10 * DAY }), (e) => [
        delivery(e),
      ]);
      const oldBatch = batch(projectId, { ...at, state: "BATCH_STATE_SUCCEEDED", endedAt: T0 - 10 * DAY });
      await store.batches.insert(oldBatch, batchLines());
      const runningBatch = batch(projectId, { ...at, state: "BATCH_STATE_RUNNING" });
      await store.batches.insert(runningBatch, batchLines());
      const clip = video(projectId, { ...at, state: "succeeded", endedAt: T0 - 10 * DAY });
      await store.videos.insert(clip);
      const talk = interaction(projectId, { ...at, status: "completed", endedAt: T0 - 10 * DAY });
      const waiting = interaction(projectId, { ...at, status: "requires_action" });
      for (const i of [talk, waiting]) await store.interactions.insert(i);

      expect(await store.retention.purgeOperations(projectId, before, 100)).toEqual({
        operations: 1,
        batches: 1,
        videos: 1,
        interactions: 1,
      });
      expect(await store.operations.get(projectId, done.id)).toBeUndefined();
      expect(await store.operations.get(projectId, running.id)).toBeDefined();
      expect(await store.operations.get(projectId, named.id)).toBeDefined();
      expect(await store.batches.get(projectId, oldBatch.id)).toBeUndefined();
      expect(await store.batchLines.all(oldBatch.id)).toEqual([]);
      expect(await store.batches.get(projectId, runningBatch.id)).toBeDefined();
      expect(await store.videos.get(projectId, clip.id)).toBeUndefined();
      expect(await store.interactions.get(projectId, talk.id)).toBeUndefined();
      expect(await store.interactions.get(projectId, waiting.id)).toBeDefined();
      expect(await store.retention.purgeOperations(projectId, before, 100)).toEqual({});
    });

    it("purges old tallies, tells each project's retention, finds expired files, and erases an operation's events", async () => {
      const { store, projectId } = f;
      const hook = webhook(projectId);
      await store.webhooks.insert(hook);
      const { deliveries } = await written(store, event(projectId, { operation: "operations/gone" }), (e) => [
        delivery(e, { webhookId: hook.id }),
      ]);
      await store.deliveries.settle(
        {
          ...ended(deliveries[0]!.id, "succeeded"),
          minutes: [
            { projectId, webhookKey: hook.id, minute: 1000, succeeded: 1, retrying: 0, failed: 0, buckets: [1] },
            { projectId, webhookKey: hook.id, minute: 2000, succeeded: 1, retrying: 0, failed: 0, buckets: [1] },
          ],
        },
        T0,
      );
      expect(await store.retention.purgeTallies(projectId, 1500, 100)).toEqual({ tallies: 1 });
      expect((await store.stats.byMinute(projectId, 0, 3000)).map((m) => m.minute)).toEqual([2000]);

      expect(await store.projects.setRetention(projectId, 86_400_000)).toBe(true);
      expect(await store.projects.setRetention("no-such-project", 1)).toBe(false);
      expect((await store.retention.projects()).find((p) => p.projectId === projectId)).toEqual({
        projectId,
        retentionMs: 86_400_000,
      });
      expect((await store.projects.get(projectId))?.retentionMs).toBe(86_400_000);
      await store.projects.setRetention(projectId, undefined);
      expect((await store.retention.projects()).find((p) => p.projectId === projectId)).toEqual({ projectId });

      const expiring = file(projectId, { expireAt: T0 - 1 });
      await store.files.insert(expiring);
      await store.files.insert(file(projectId, { expireAt: T0 + DAY }));
      expect(await store.retention.expiredFiles(T0, 10)).toEqual([{ projectId, id: expiring.id }]);

      // Erasure takes a pending delivery too.
      const pending = await written(store, event(projectId, { operation: "operations/erased" }), (e) => [delivery(e)]);
      expect(await store.retention.eraseEvents(projectId, "operations/erased")).toEqual({
        events: 1,
        deliveries: 1,
        attempts: 0,
      });
      expect(await store.events.get(projectId, pending.event.id)).toBeUndefined();
      expect(await store.deliveries.nextDueAt()).toBeUndefined();
      expect(await store.retention.eraseEvents("other-project", "operations/gone")).toEqual({});
    });
  });
}
