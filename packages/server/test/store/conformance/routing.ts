import { describe, expect, it } from "vitest";
import type { DeliverySettlement } from "../../../src/core/deliveries.js";
import { endpointKey } from "../../../src/core/fanout.js";
import type { Delivery } from "../../../src/core/deliveries.js";
import type { Store, WebhookRecord } from "../../../src/store/store.js";
import { delivery, event, T0, webhook, written, type StoreFixture } from "./fixtures.js";

const claim = (now: number, worker: number, perEndpointLimit = 100) => ({
  now,
  worker,
  limit: 100,
  skipEndpoints: [],
  perEndpointLimit,
});

const settled = (d: Delivery, state: DeliverySettlement["state"], nextAttemptAt = T0 + 10): DeliverySettlement => ({
  id: d.id,
  endpointKey: d.endpointKey,
  state,
  attemptCount: 1,
  nextAttemptAt,
  attemptedAt: T0 + 5,
  lastLatencyMs: 1,
  ...(state === "succeeded" ? { lastStatusCode: 200 } : { lastStatusCode: 500, lastError: "HTTP 500" }),
});

const settle = (store: Store, settlements: DeliverySettlement[]) =>
  store.deliveries.settle(
    { settlements, keptAttempts: [], minutes: [], lastFailures: [], webhooksSucceeded: [], webhooksAtRisk: [] },
    T0 + 5,
  );

/**
 * `count` events, one delivery each to `hook`, written one after another (born leased to `lease`'s worker, if given).
 */
async function eventsTo(
  store: Store,
  hook: WebhookRecord,
  count: number,
  lease?: { worker: number; coveredFrom: null },
): Promise<Delivery[]> {
  const out: Delivery[] = [];
  for (let i = 0; i < count; i++) {
    const { deliveries } = await written(
      store,
      event(hook.projectId),
      (e) => [
        delivery(e, { webhookId: hook.id, uri: hook.uri }, { endpointKey: endpointKey(hook.id, hook.uri, hook) }),
      ],
      lease === undefined ? {} : { lease },
    );
    out.push(...deliveries);
  }
  return out;
}

export function describeRouting(f: StoreFixture): void {
  describe("deliveries of FIFO and rate-limited webhooks", () => {
    it("gives a FIFO webhook's oldest delivery only, one at a time, and holds the rest behind one that failed", async () => {
      const { store, projectId } = f;
      const a = await store.workers.register("a", T0 + 60_000);
      const b = await store.workers.register("b", T0 + 60_000);
      const hook = webhook(projectId, { ordering: "fifo" });
      await store.webhooks.insert(hook);
      const [first, second, third] = await eventsTo(store, hook, 3);
      expect(first!.endpointKey).toBe(`fifo:${hook.id}`);
      expect((await store.deliveries.claim(claim(T0, a))).map((d) => d.id)).toEqual([first!.id]);
      // Held by a: nobody gets the next one meanwhile.
      expect(await store.deliveries.claim(claim(T0, b))).toEqual([]);
      expect(await store.deliveries.claim(claim(T0, a))).toEqual([]);
      // It failed and is due again later: it still holds the others back, and shows as what blocks the webhook.
      await settle(store, [settled(first!, "pending", T0 + 1000)]);
      expect(await store.deliveries.claim(claim(T0 + 999, b))).toEqual([]);
      expect((await store.deliveries.blockedHeads(projectId, [hook.id])).map((d) => d.id)).toEqual([first!.id]);
      expect((await store.deliveries.claim(claim(T0 + 1000, b))).map((d) => d.id)).toEqual([first!.id]);
      await settle(store, [settled(first!, "succeeded")]);
      expect(await store.deliveries.blockedHeads(projectId, [hook.id])).toEqual([]);
      expect((await store.deliveries.claim(claim(T0 + 1000, a))).map((d) => d.id)).toEqual([second!.id]);
      await settle(store, [settled(second!, "failed")]);
      // One that failed for good lets the next go.
      expect((await store.deliveries.claim(claim(T0 + 1000, b))).map((d) => d.id)).toEqual([third!.id]);
    });

    it("leaves a paced webhook to the worker that holds some of it, and queues its new deliveries rather than lease them", async () => {
      const { store, projectId } = f;
      const a = await store.workers.register("a", T0 + 60_000);
      const b = await store.workers.register("b", T0 + 60_000);
      const hook = webhook(projectId, { rateLimitPerSecond: 5 });
      await store.webhooks.insert(hook);
      // Written by b's process with a lease: queued all the same, for whichever engine paces the webhook.
      const deliveries = await eventsTo(store, hook, 4, { worker: b, coveredFrom: null });
      expect(deliveries[0]!.endpointKey).toBe(`paced:${hook.id}`);
      const taken = await store.deliveries.claim(claim(T0, a, 2));
      expect(taken).toHaveLength(2);
      expect(taken[0]).toMatchObject({ rateLimitPerSecond: 5 });
      expect(await store.deliveries.claim(claim(T0, b))).toEqual([]);
      expect(await store.deliveries.claim(claim(T0, a, 2))).toHaveLength(2);
      await settle(
        store,
        [...taken, ...deliveries.slice(2)].map((d) => settled(d, "succeeded")),
      );
      const late = await eventsTo(store, hook, 1);
      expect((await store.deliveries.claim(claim(T0, b))).map((d) => d.id)).toEqual([late[0]!.id]);
    });

    it("moves what a webhook has waiting to its new endpoint key when its routing changes", async () => {
      const { store, projectId } = f;
      const a = await store.workers.register("a", T0 + 60_000);
      const hook = webhook(projectId);
      await store.webhooks.insert(hook);
      await eventsTo(store, hook, 3);
      expect(await store.deliveries.rekey(hook.id, `fifo:${hook.id}`)).toBe(3);
      const [head] = await store.deliveries.claim(claim(T0, a));
      expect(head).toMatchObject({ endpointKey: `fifo:${hook.id}` });
      expect(await store.deliveries.claim(claim(T0, a))).toEqual([]);
    });
  });
}
