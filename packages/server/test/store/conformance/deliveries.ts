import { describe, expect, it } from "vitest";
import type { Attempt, DeliverySettlement } from "../../../src/core/deliveries.js";
import { parseDeliveryId } from "../../../src/core/ids.js";
import type { Store, SettlementRound } from "../../../src/store/store.js";
import { delivery, event, PAGE, T0, webhook, written, type StoreFixture } from "./fixtures.js";

const failedAttempt = (deliveryId: string, overrides: Partial<Attempt> = {}): Attempt => ({
  deliveryId,
  attemptNumber: 1,
  startedAt: T0,
  statusCode: 500,
  latencyMs: 3.5,
  responseExcerpt: "nope",
  ...overrides,
});

const settlement = (
  id: string,
  state: DeliverySettlement["state"],
  overrides: Partial<DeliverySettlement> = {},
): DeliverySettlement => ({
  id,
  endpointKey: "origin:https://a.example",
  state,
  attemptCount: 1,
  nextAttemptAt: T0 + 10,
  attemptedAt: T0 + 5,
  lastLatencyMs: 4.5,
  ...overrides,
});

/** A round that only writes deliveries and attempts: no tallies, stamps or disable candidates. */
const round = (settlements: DeliverySettlement[], keptAttempts: Attempt[] = []): SettlementRound => ({
  settlements,
  keptAttempts,
  minutes: [],
  lastFailures: [],
  webhooksSucceeded: [],
  webhooksAtRisk: [],
});

const claim = (
  now: number,
  worker: number,
  overrides: { limit?: number; skipEndpoints?: string[]; perEndpointLimit?: number } = {},
) => ({
  now,
  worker,
  limit: overrides.limit ?? 100,
  skipEndpoints: overrides.skipEndpoints ?? [],
  perEndpointLimit: overrides.perEndpointLimit ?? 100,
});

/** Two live workers, as two processes' engines are. */
async function workers(store: Store): Promise<[number, number]> {
  return [await store.workers.register("a", T0 + 60_000), await store.workers.register("b", T0 + 60_000)];
}

export function describeDeliveries(f: StoreFixture): void {
  describe("deliveries (the queue)", () => {
    it("claims queued deliveries with their body and sealed secrets, each by one worker", async () => {
      const { store, projectId } = f;
      const [a, b] = await workers(store);
      const hook = webhook(projectId, { sealedSecrets: "sealed-x" });
      await store.webhooks.insert(hook);
      const { event: e, deliveries } = await written(store, event(projectId), (e) => [
        delivery(e, { webhookId: hook.id, uri: hook.uri }),
        delivery(e, { uri: "https://a.example/x" }),
      ]);
      const [toHook, dynamic] = deliveries;
      // Ids are the event's range of keys: the first two of its deliveries.
      expect(deliveries.map((d) => d.id)).toHaveLength(2);
      expect(new Set(deliveries.map((d) => d.id)).size).toBe(2);
      expect(await store.deliveries.claim(claim(T0 - 1, a))).toEqual([]);
      const claimed = await store.deliveries.claim(claim(T0, a));
      expect(claimed.map((d) => d.id).sort()).toEqual([toHook!.id, dynamic!.id].sort());
      const fromHook = claimed.find((d) => d.webhookId === hook.id)!;
      expect(fromHook).toMatchObject({
        sealedSecrets: "sealed-x",
        endpointKey: `webhook:${hook.id}`,
        eventId: e.id,
        projectId,
        uri: hook.uri,
        attemptCount: 0,
        nextAttemptAt: T0,
        state: "pending",
      });
      expect(JSON.parse(fromHook.body)).toEqual(e.payload);
      expect(claimed.find((d) => d.webhookId === undefined)).toMatchObject({
        sealedSecrets: undefined,
        endpointKey: "origin:https://a.example",
      });
      // Claimed by a live worker: nobody else takes them.
      expect(await store.deliveries.claim(claim(T0 + 59_999, b))).toEqual([]);
      expect(await store.deliveries.nextDueAt()).toBeUndefined();
    });

    it("keeps a delivery born leased out of the queue, and its worker's row covers it from before it commits", async () => {
      const { store, projectId } = f;
      const [a, b] = await workers(store);
      const { deliveries } = await written(store, event(projectId), (e) => [delivery(e)], {
        lease: { worker: a, coveredFrom: null },
      });
      expect(await store.deliveries.claim(claim(T0 + 1000, b))).toEqual([]);
      expect(await store.deliveries.nextDueAt()).toBeUndefined();
      expect((await store.deliveries.list(projectId, {}, PAGE)).items.map((d) => [d.id, d.state])).toEqual([
        [deliveries[0]!.id, "pending"],
      ]);
      // Its worker dies (it stops renewing): reaped, what it held is queued, due at once, for the others.
      expect(await store.workers.reap(T0 + 60_000)).toBe(1);
      expect((await store.deliveries.claim(claim(T0 + 60_000, b))).map((d) => d.id)).toEqual([deliveries[0]!.id]);
    });

    it("reads back the deliveries a worker holds born leased, in key order, and none it no longer holds", async () => {
      const { store, projectId } = f;
      const [a, b] = await workers(store);
      const hook = webhook(projectId, { sealedSecrets: "sealed-x" });
      await store.webhooks.insert(hook);
      const lease = { lease: { worker: a, coveredFrom: null } };
      const first = await written(
        store,
        event(projectId),
        (e) => [delivery(e, { webhookId: hook.id, uri: hook.uri })],
        lease,
      );
      const second = await written(
        store,
        event(projectId),
        (e) => [delivery(e, { uri: "https://a.example/x" })],
        lease,
      );
      const queued = await written(store, event(projectId), (e) => [delivery(e, { uri: "https://a.example/y" })]);
      const ids = [second, queued, first].map((w) => w.deliveries[0]!.id);
      const keys = ids.map((id) => parseDeliveryId(id) as number);
      const held = await store.deliveries.held(keys, a);
      expect(held.map((d) => d.id)).toEqual([first.deliveries[0]!.id, second.deliveries[0]!.id]);
      expect(held[0]).toMatchObject({
        sealedSecrets: "sealed-x",
        endpointKey: `webhook:${hook.id}`,
        eventId: first.event.id,
        projectId,
        uri: hook.uri,
        attemptCount: 0,
        state: "pending",
      });
      expect(JSON.parse(held[0]!.body)).toEqual(first.event.payload);
      expect(held[1]).toMatchObject({ endpointKey: "origin:https://a.example", sealedSecrets: undefined });
      expect(await store.deliveries.held(keys, b)).toEqual([]);
      expect(await store.deliveries.held([], a)).toEqual([]);
      // Settled, it is no longer held; reaped with its worker, neither is the other (it waits in the queue).
      await store.deliveries.settle(
        round([settlement(first.deliveries[0]!.id, "succeeded", { endpointKey: `webhook:${hook.id}` })]),
        T0 + 5,
      );
      expect((await store.deliveries.held(keys, a)).map((d) => d.id)).toEqual([second.deliveries[0]!.id]);
      expect(await store.workers.reap(T0 + 60_000)).toBe(1);
      expect(await store.deliveries.held(keys, a)).toEqual([]);
    });

    it("skips endpoints with no room and takes at most a given number per endpoint, soonest due first", async () => {
      const { store, projectId } = f;
      const [a] = await workers(store);
      const busy = webhook(projectId);
      const quiet = webhook(projectId);
      for (const h of [busy, quiet]) await store.webhooks.insert(h);
      for (let i = 0; i < 5; i++)
        await written(store, event(projectId, { createdAt: T0 + i }), (e) => [delivery(e, { webhookId: busy.id })]);
      await written(store, event(projectId, { createdAt: T0 + 9 }), (e) => [delivery(e, { webhookId: quiet.id })]);
      expect(
        (await store.deliveries.claim(claim(T0 + 10, a, { skipEndpoints: [`webhook:${busy.id}`] }))).map(
          (d) => d.webhookId,
        ),
      ).toEqual([quiet.id]);
      const first = await store.deliveries.claim(claim(T0 + 10, a, { perEndpointLimit: 2 }));
      expect(first.map((d) => [d.webhookId, d.nextAttemptAt])).toEqual([
        [busy.id, T0],
        [busy.id, T0 + 1],
      ]);
      const second = await store.deliveries.claim(claim(T0 + 10, a, { perEndpointLimit: 2, limit: 1 }));
      expect(second.map((d) => [d.webhookId, d.nextAttemptAt])).toEqual([[busy.id, T0 + 2]]);
    });

    it("settles: a success on the delivery's row, failures as attempts; a retry is queued at its time, the rest leave the queue", async () => {
      const { store, projectId } = f;
      const [a, b] = await workers(store);
      const { deliveries } = await written(store, event(projectId), (e) => [
        delivery(e, { uri: "https://a.example/1" }),
        delivery(e, { uri: "https://b.example/2" }),
        delivery(e, { uri: "https://c.example/3" }),
      ]);
      const [ok, retry, failed] = deliveries.map((d) => d.id) as [string, string, string];
      await store.deliveries.claim(claim(T0, a));
      const failures = [
        failedAttempt(retry),
        failedAttempt(failed, { statusCode: undefined, responseExcerpt: undefined, error: "refused" }),
      ];
      const settled = round(
        [
          settlement(ok, "succeeded", { lastStatusCode: 200, lastLatencyMs: 3.25, attemptedAt: T0 + 2 }),
          settlement(retry, "pending", { nextAttemptAt: T0 + 5000, lastStatusCode: 500, lastError: "HTTP 500" }),
          settlement(failed, "failed", { lastError: "refused" }),
        ],
        failures,
      );
      expect(await store.deliveries.settle(settled, T0 + 10)).toEqual([]);
      // Writing the same outcomes again (a retried flush) changes nothing.
      await store.deliveries.settle(settled, T0 + 10);
      const byId = new Map((await store.deliveries.list(projectId, {}, PAGE)).items.map((d) => [d.id, d]));
      expect(byId.get(ok)).toMatchObject({
        state: "succeeded",
        attemptCount: 1,
        lastStatusCode: 200,
        lastLatencyMs: 3.25,
        updatedAt: T0 + 2,
      });
      // The success shows as its attempt, though it has no row of its own.
      expect(byId.get(ok)!.attempts).toEqual([
        { deliveryId: ok, attemptNumber: 1, startedAt: T0 + 2, statusCode: 200, latencyMs: 3.25 },
      ]);
      expect(byId.get(retry)).toMatchObject({
        state: "pending",
        attemptCount: 1,
        nextAttemptAt: T0 + 5000,
        lastStatusCode: 500,
        lastError: "HTTP 500",
      });
      expect(byId.get(retry)!.attempts).toEqual([failures[0]]);
      expect(byId.get(failed)).toMatchObject({ state: "failed", lastError: "refused" });
      expect(byId.get(failed)!.attempts).toEqual([failures[1]]);
      // The retry is due at its time, for any worker.
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 5000);
      expect((await store.deliveries.claim(claim(T0 + 5000, b))).map((d) => d.id)).toEqual([retry]);
      // A settled delivery is left alone by a late, stale outcome.
      await store.deliveries.settle(round([settlement(ok, "pending", { nextAttemptAt: T0 + 20 })]), T0 + 20);
      expect((await store.deliveries.list(projectId, { state: "succeeded" }, PAGE)).items.map((d) => d.id)).toEqual([
        ok,
      ]);
      expect(await store.deliveries.nextDueAt()).toBeUndefined();
    });

    it("stamps the webhooks that answered 2xx and returns the enabled ones at risk, as they were before the round", async () => {
      const { store, projectId } = f;
      const ok = webhook(projectId);
      const risky = webhook(projectId, { lastSuccessAt: T0 - 60_000 });
      const off = webhook(projectId, { state: "disabled" });
      const elsewhere = webhook("other-project");
      for (const h of [ok, risky, off, elsewhere]) await store.webhooks.insert(h);
      const candidates = await store.deliveries.settle(
        { ...round([]), webhooksSucceeded: [ok.id, risky.id], webhooksAtRisk: [risky.id, off.id, elsewhere.id] },
        T0 + 7,
      );
      expect(candidates.map((h) => h.id).sort()).toEqual([risky.id, elsewhere.id].sort());
      expect(candidates.find((h) => h.id === risky.id)?.lastSuccessAt).toBe(T0 - 60_000);
      expect((await store.webhooks.get(projectId, ok.id))?.lastSuccessAt).toBe(T0 + 7);
      expect((await store.webhooks.get(projectId, risky.id))?.lastSuccessAt).toBe(T0 + 7);
      // A success under a second old is not written again (no row lock per round for a busy webhook); an older one is.
      await store.deliveries.settle({ ...round([]), webhooksSucceeded: [ok.id], webhooksAtRisk: [] }, T0 + 900);
      expect((await store.webhooks.get(projectId, ok.id))?.lastSuccessAt).toBe(T0 + 7);
      await store.deliveries.settle({ ...round([]), webhooksSucceeded: [ok.id], webhooksAtRisk: [] }, T0 + 1_007);
      expect((await store.webhooks.get(projectId, ok.id))?.lastSuccessAt).toBe(T0 + 1_007);
    });

    it("takes deliveries back from the worker holding them: claimed ones and born leased ones alike", async () => {
      const { store, projectId } = f;
      const [a, b] = await workers(store);
      const queued = await written(store, event(projectId), (e) => [delivery(e, { uri: "https://a.example/1" })]);
      const born = await written(store, event(projectId), (e) => [delivery(e, { uri: "https://b.example/2" })], {
        lease: { worker: a, coveredFrom: null },
      });
      const claimed = await store.deliveries.claim(claim(T0, a));
      expect(claimed.map((d) => d.id)).toEqual([queued.deliveries[0]!.id]);
      // Not held by b: nothing to release.
      expect(await store.deliveries.release([...claimed, ...born.deliveries], b, T0 + 1)).toBe(0);
      expect(await store.deliveries.release([...claimed, ...born.deliveries], a, T0 + 1)).toBe(2);
      expect((await store.deliveries.claim(claim(T0 + 1, b))).map((d) => d.id).sort()).toEqual(
        [queued.deliveries[0]!.id, born.deliveries[0]!.id].sort(),
      );
      expect(await store.deliveries.release([], a, T0 + 1)).toBe(0);
    });

    it("says when the next queued delivery becomes claimable", async () => {
      const { store, projectId } = f;
      const [a] = await workers(store);
      expect(await store.deliveries.nextDueAt()).toBeUndefined();
      const { deliveries } = await written(store, event(projectId), (e) => [
        delivery(e, { uri: "https://a.example/1" }),
        delivery(e, { uri: "https://b.example/2" }),
      ]);
      await store.deliveries.claim(claim(T0, a));
      await store.deliveries.settle(
        round([
          settlement(deliveries[0]!.id, "pending", { nextAttemptAt: T0 + 300 }),
          settlement(deliveries[1]!.id, "pending", { nextAttemptAt: T0 + 100 }),
        ]),
        T0,
      );
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 100);
      await store.deliveries.claim(claim(T0 + 100, a));
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 300);
    });

    it("lists with filters, tells an event's targets, numbers a redelivery after the event's deliveries", async () => {
      const { store, projectId } = f;
      const hook = webhook(projectId);
      await store.webhooks.insert(hook);
      const one = await written(store, event(projectId, { createdAt: T0 }), (e) => [
        delivery(e, { webhookId: hook.id }),
        delivery(e, { uri: "https://a.example/x" }),
      ]);
      const two = await written(store, event(projectId, { createdAt: T0 + 5 }), (e) => [
        delivery(e, { webhookId: hook.id }),
      ]);
      expect((await store.deliveries.targetsOf(one.event.id)).sort((x, y) => x.uri.localeCompare(y.uri))).toEqual([
        { webhookId: undefined, uri: "https://a.example/x" },
        { webhookId: hook.id, uri: "https://example.com/hook" },
      ]);
      const again = await store.transaction((tx) =>
        tx.deliveries.insertMore([delivery(one.event, { webhookId: hook.id }, { createdAt: T0 + 1 })], T0 + 1),
      );
      expect(again[0]!.id).not.toBe(one.deliveries[0]!.id);
      expect((await store.deliveries.list(projectId, { eventId: one.event.id }, PAGE)).items.map((d) => d.id)).toEqual([
        ...one.deliveries.map((d) => d.id),
        again[0]!.id,
      ]);
      expect((await store.deliveries.list(projectId, { webhookId: hook.id }, PAGE)).items.map((d) => d.id)).toEqual([
        one.deliveries[0]!.id,
        again[0]!.id,
        two.deliveries[0]!.id,
      ]);
      expect((await store.deliveries.list(projectId, { eventId: two.event.id }, PAGE)).items).toHaveLength(1);
      expect(
        (await store.deliveries.list(projectId, { eventId: "msg_000000000000000000000000000" }, PAGE)).items,
      ).toEqual([]);
      expect((await store.deliveries.list("other-project", {}, PAGE)).items).toEqual([]);
      const page = await store.deliveries.list(projectId, {}, { pageSize: 2, offset: 0 });
      expect(page.items).toHaveLength(2);
      expect(page.nextPageToken).toBeDefined();
    });

    it("fails a webhook's pending deliveries, queued or born leased, and recovers its failed ones with a fresh window", async () => {
      const { store, projectId } = f;
      const [a, b] = await workers(store);
      const hook = webhook(projectId);
      await store.webhooks.insert(hook);
      const queued = await written(store, event(projectId, { createdAt: T0 }), (e) => [
        delivery(e, { webhookId: hook.id }),
        delivery(e, { uri: "https://a.example/x" }),
      ]);
      const born = await written(
        store,
        event(projectId, { createdAt: T0 + 1 }),
        (e) => [delivery(e, { webhookId: hook.id })],
        {
          lease: { worker: a, coveredFrom: null },
        },
      );
      expect(await store.deliveries.failPending(hook.id, "the webhook was disabled")).toBe(2);
      const failed = (await store.deliveries.list(projectId, { webhookId: hook.id, state: "failed" }, PAGE)).items;
      expect(failed.map((d) => d.id)).toEqual([queued.deliveries[0]!.id, born.deliveries[0]!.id]);
      expect(failed[0]).toMatchObject({ lastError: "the webhook was disabled" });
      // The dynamic delivery was not the webhook's: it is still queued.
      expect((await store.deliveries.claim(claim(T0 + 10, b))).map((d) => d.webhookId)).toEqual([undefined]);

      expect(await store.deliveries.recover(projectId, hook.id, T0, T0 + 1, T0 + 20)).toBe(1);
      expect(await store.deliveries.recover("other-project", hook.id, T0, T0 + 100, T0 + 20)).toBe(0);
      const recovered = (await store.deliveries.list(projectId, { webhookId: hook.id, state: "pending" }, PAGE)).items;
      expect(recovered.map((d) => d.id)).toEqual([queued.deliveries[0]!.id]);
      expect(recovered[0]).toMatchObject({ nextAttemptAt: T0 + 20, windowStartAt: T0 + 20, createdAt: T0 });
      expect((await store.deliveries.claim(claim(T0 + 20, b))).map((d) => d.id)).toEqual([queued.deliveries[0]!.id]);
    });

    it("keeps naming the webhook of a delivery after the webhook is deleted", async () => {
      const { store, projectId } = f;
      const hook = webhook(projectId, { uri: "https://gone.example/hook" });
      await store.webhooks.insert(hook);
      const { event: e } = await written(store, event(projectId), (e) => [
        delivery(e, { webhookId: hook.id, uri: hook.uri }),
      ]);
      expect(await store.webhooks.delete(projectId, hook.id, T0 + 1)).toBe(true);
      expect(await store.webhooks.get(projectId, hook.id)).toBeUndefined();
      expect((await store.deliveries.list(projectId, { eventId: e.id }, PAGE)).items[0]).toMatchObject({
        webhookId: hook.id,
        uri: "https://gone.example/hook",
      });
      expect(await store.deliveries.targetsOf(e.id)).toEqual([
        { webhookId: hook.id, uri: "https://gone.example/hook" },
      ]);
      // A new webhook never takes a deleted one's key.
      const next = webhook(projectId);
      await store.webhooks.insert(next);
      expect((await store.deliveries.list(projectId, { webhookId: next.id }, PAGE)).items).toEqual([]);
    });
  });
}
