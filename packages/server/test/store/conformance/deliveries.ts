import { describe, expect, it } from "vitest";
import type { Attempt } from "../../../src/core/deliveries.js";
import { delivery, event, PAGE, queued, T0, webhook, type StoreFixture } from "./fixtures.js";

const attempt = (deliveryId: string, overrides: Partial<Attempt> = {}): Attempt => ({
  deliveryId,
  attemptNumber: 1,
  startedAt: T0,
  statusCode: 500,
  latencyMs: 3.5,
  responseExcerpt: "nope",
  requestHeaders: { "webhook-id": "x" },
  ...overrides,
});

const claim = (
  now: number,
  overrides: { limit?: number; skipEndpoints?: string[]; perEndpointLimit?: number; lockedBy?: string; lockedUntil?: number } = {},
) => ({
  now,
  lockedUntil: overrides.lockedUntil ?? now + 60_000,
  lockedBy: overrides.lockedBy ?? "engine-a",
  limit: overrides.limit ?? 100,
  skipEndpoints: overrides.skipEndpoints ?? [],
  perEndpointLimit: overrides.perEndpointLimit ?? 100,
});

export function describeDeliveries(f: StoreFixture): void {
  describe("deliveries (the queue)", () => {
    it("claims due deliveries with their body and sealed secrets, each once while its lease lasts", async () => {
      const { store, projectId } = f;
      const hook = webhook(projectId, { sealedSecrets: "sealed-x" });
      await store.webhooks.insert(hook);
      const e = event(projectId);
      const [toHook, dynamic] = await queued(store, e, [delivery(e, { webhookId: hook.id, uri: hook.uri }), delivery(e, { uri: "https://a.example/x" })]);
      expect(await store.deliveries.claim(claim(T0 - 1))).toEqual([]);
      const claimed = await store.deliveries.claim(claim(T0));
      expect(claimed.map((d) => d.id).sort()).toEqual([toHook!.id, dynamic!.id].sort());
      const fromHook = claimed.find((d) => d.webhookId === hook.id)!;
      expect(fromHook).toMatchObject({
        sealedSecrets: "sealed-x",
        endpointKey: `webhook:${hook.id}`,
        eventId: e.id,
        attemptCount: 0,
        nextAttemptAt: T0,
        state: "pending",
      });
      expect(JSON.parse(fromHook.body)).toEqual(e.payload);
      expect(claimed.find((d) => d.webhookId === undefined)).toMatchObject({ sealedSecrets: undefined, endpointKey: "origin:https://a.example" });
      expect(await store.deliveries.claim(claim(T0 + 59_999, { lockedBy: "engine-b" }))).toEqual([]);
      // A lease that is never settled runs out, and the delivery is due again.
      expect(await store.deliveries.claim(claim(T0 + 60_000, { lockedBy: "engine-b" }))).toHaveLength(2);
    });

    it("keeps a born-leased delivery from other engines until its lease ends", async () => {
      const { store, projectId } = f;
      const e = event(projectId);
      await queued(store, e, [delivery(e, {}, { lease: { lockedBy: "engine-a", lockedUntil: T0 + 120_000 } })]);
      expect(await store.deliveries.claim(claim(T0 + 1000, { lockedBy: "engine-b" }))).toEqual([]);
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 120_000);
      expect(await store.deliveries.claim(claim(T0 + 120_000, { lockedBy: "engine-b" }))).toHaveLength(1);
    });

    it("skips endpoints with no room and takes at most a given number per endpoint, oldest first", async () => {
      const { store, projectId } = f;
      const busy = webhook(projectId);
      const quiet = webhook(projectId);
      for (const h of [busy, quiet]) await store.webhooks.insert(h);
      for (let i = 0; i < 5; i++) {
        const e = event(projectId, { createdAt: T0 + i });
        await queued(store, e, [delivery(e, { webhookId: busy.id })]);
      }
      const late = event(projectId, { createdAt: T0 + 9 });
      await queued(store, late, [delivery(late, { webhookId: quiet.id })]);
      expect((await store.deliveries.claim(claim(T0 + 10, { skipEndpoints: [`webhook:${busy.id}`] }))).map((d) => d.webhookId)).toEqual([quiet.id]);
      const first = await store.deliveries.claim(claim(T0 + 10, { perEndpointLimit: 2 }));
      expect(first.map((d) => [d.webhookId, d.nextAttemptAt])).toEqual([
        [busy.id, T0],
        [busy.id, T0 + 1],
      ]);
      const second = await store.deliveries.claim(claim(T0 + 10, { perEndpointLimit: 2, limit: 1 }));
      expect(second.map((d) => [d.webhookId, d.nextAttemptAt])).toEqual([[busy.id, T0 + 2]]);
    });

    it("settles attempts: retries stay pending with their next time, the rest end; the lease ends either way", async () => {
      const { store, projectId } = f;
      const e = event(projectId);
      const [a, b, c] = await queued(store, e, [
        delivery(e, { uri: "https://a.example/1" }),
        delivery(e, { uri: "https://b.example/2" }),
        delivery(e, { uri: "https://c.example/3" }),
      ]);
      await store.deliveries.claim(claim(T0));
      const attempts = [
        attempt(a!.id, { statusCode: 200, responseExcerpt: "ok" }),
        attempt(b!.id),
        attempt(c!.id, { statusCode: undefined, responseExcerpt: undefined, error: "refused" }),
      ];
      const settlements = [
        { id: a!.id, state: "succeeded" as const, attemptCount: 1, nextAttemptAt: T0 + 10, lastStatusCode: 200 },
        { id: b!.id, state: "pending" as const, attemptCount: 1, nextAttemptAt: T0 + 5000, lastStatusCode: 500, lastError: "HTTP 500" },
        { id: c!.id, state: "failed" as const, attemptCount: 1, nextAttemptAt: T0 + 10, lastError: "refused" },
      ];
      const round = { settlements, attempts, webhooksSucceeded: [], webhooksAtRisk: [] };
      expect(await store.deliveries.settle(round, T0 + 10)).toEqual([]);
      // Writing the same outcomes again (a retried flush) changes nothing.
      await store.deliveries.settle(round, T0 + 10);
      const byId = new Map((await store.deliveries.list(projectId, {}, PAGE)).items.map((d) => [d.id, d]));
      expect(byId.get(a!.id)).toMatchObject({ state: "succeeded", attemptCount: 1, lastStatusCode: 200, updatedAt: T0 + 10 });
      expect(byId.get(b!.id)).toMatchObject({ state: "pending", attemptCount: 1, nextAttemptAt: T0 + 5000, lastStatusCode: 500, lastError: "HTTP 500" });
      expect(byId.get(b!.id)!.attempts).toEqual([attempts[1]]);
      expect(byId.get(c!.id)).toMatchObject({ state: "failed", lastError: "refused" });
      expect(byId.get(c!.id)!.attempts).toEqual([attempts[2]]);
      // The retry is due at its time, not at its old lease's end.
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 5000);
      expect((await store.deliveries.claim(claim(T0 + 5000, { lockedBy: "engine-b" }))).map((d) => d.id)).toEqual([b!.id]);
      // A settled delivery is left alone by a late, stale outcome.
      await store.deliveries.settle({ settlements: [{ ...settlements[1]!, id: a!.id }], attempts: [], webhooksSucceeded: [], webhooksAtRisk: [] }, T0 + 20);
      expect((await store.deliveries.list(projectId, { state: "succeeded" }, PAGE)).items.map((d) => d.id)).toEqual([a!.id]);
    });

    it("stamps the webhooks that answered 2xx and returns the enabled ones at risk, as they were before the round", async () => {
      const { store, projectId } = f;
      const ok = webhook(projectId);
      const risky = webhook(projectId, { lastSuccessAt: T0 - 5 });
      const off = webhook(projectId, { state: "disabled" });
      const elsewhere = webhook("other-project");
      for (const h of [ok, risky, off, elsewhere]) await store.webhooks.insert(h);
      const candidates = await store.deliveries.settle(
        { settlements: [], attempts: [], webhooksSucceeded: [ok.id, risky.id], webhooksAtRisk: [risky.id, off.id, elsewhere.id] },
        T0 + 7,
      );
      expect(candidates.map((h) => h.id).sort()).toEqual([risky.id, elsewhere.id].sort());
      expect(candidates.find((h) => h.id === risky.id)?.lastSuccessAt).toBe(T0 - 5);
      expect((await store.webhooks.get(projectId, ok.id))?.lastSuccessAt).toBe(T0 + 7);
      expect((await store.webhooks.get(projectId, risky.id))?.lastSuccessAt).toBe(T0 + 7);
    });

    it("releases one engine's leases at once, and every lease after a crash", async () => {
      const { store, projectId } = f;
      const e = event(projectId);
      const [a, b] = await queued(store, e, [delivery(e, { uri: "https://a.example/1" }), delivery(e, { uri: "https://b.example/2" })]);
      await store.deliveries.claim(claim(T0, { lockedBy: "engine-a", limit: 1 }));
      await store.deliveries.claim(claim(T0, { lockedBy: "engine-b", limit: 1 }));
      expect(await store.deliveries.release([a!.id, b!.id], "engine-a")).toBe(1);
      expect(await store.deliveries.claim(claim(T0 + 1, { lockedBy: "engine-c" }))).toHaveLength(1);
      expect(await store.deliveries.releaseAll()).toBe(2);
      expect(await store.deliveries.claim(claim(T0 + 2, { lockedBy: "engine-c" }))).toHaveLength(2);
      expect(await store.deliveries.release([], "engine-a")).toBe(0);
    });

    it("says when the next delivery becomes claimable", async () => {
      const { store, projectId } = f;
      expect(await store.deliveries.nextDueAt()).toBeUndefined();
      const e = event(projectId);
      await queued(store, e, [
        delivery(e, { uri: "https://a.example/1" }, { nextAttemptAt: T0 + 300 }),
        delivery(e, { uri: "https://b.example/2" }, { nextAttemptAt: T0 + 100 }),
      ]);
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 100);
      await store.deliveries.claim(claim(T0 + 100, { lockedUntil: T0 + 500 }));
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 300);
      await store.deliveries.claim(claim(T0 + 300, { lockedUntil: T0 + 400 }));
      expect(await store.deliveries.nextDueAt()).toBe(T0 + 400);
    });

    it("lists with attempts and filters, tells an event's targets, fails a webhook's pending and recovers its failed", async () => {
      const { store, projectId } = f;
      const hook = webhook(projectId);
      await store.webhooks.insert(hook);
      const e1 = event(projectId, { createdAt: T0 });
      const e2 = event(projectId, { createdAt: T0 + 5 });
      await queued(store, e1, [
        delivery(e1, { webhookId: hook.id }),
        delivery(e1, { uri: "https://a.example/x" }),
        delivery(e1, { webhookId: hook.id }, { createdAt: T0 + 1 }),
      ]);
      await queued(store, e2, [delivery(e2, { webhookId: hook.id })]);
      expect((await store.deliveries.targetsOf(e1.id)).sort((x, y) => x.uri.localeCompare(y.uri))).toEqual([
        { webhookId: undefined, uri: "https://a.example/x" },
        { webhookId: hook.id, uri: "https://example.com/hook" },
      ]);
      expect((await store.deliveries.list(projectId, { webhookId: hook.id }, PAGE)).items).toHaveLength(3);
      expect((await store.deliveries.list(projectId, { eventId: e2.id }, PAGE)).items).toHaveLength(1);
      expect((await store.deliveries.list("other-project", {}, PAGE)).items).toEqual([]);
      const page = await store.deliveries.list(projectId, {}, { pageSize: 2, offset: 0 });
      expect(page.items).toHaveLength(2);
      expect(page.nextPageToken).toBeDefined();

      expect(await store.deliveries.failPending(hook.id, "the webhook was deleted", T0 + 10)).toBe(3);
      expect((await store.deliveries.list(projectId, { webhookId: hook.id, state: "failed" }, PAGE)).items[0]).toMatchObject({
        lastError: "the webhook was deleted",
      });
      expect((await store.deliveries.claim(claim(T0 + 10))).map((d) => d.webhookId)).toEqual([undefined]);

      expect(await store.deliveries.recover(projectId, hook.id, T0, T0 + 5, T0 + 20)).toBe(2);
      expect(await store.deliveries.recover("other-project", hook.id, T0, T0 + 100, T0 + 20)).toBe(0);
      const recovered = (await store.deliveries.list(projectId, { webhookId: hook.id, state: "pending" }, PAGE)).items;
      expect(recovered.map((d) => d.createdAt)).toEqual([T0, T0 + 1]);
      expect(recovered[0]).toMatchObject({ nextAttemptAt: T0 + 20, windowStartAt: T0 + 20 });
    });
  });
}
