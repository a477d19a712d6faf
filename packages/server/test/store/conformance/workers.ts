import { describe, expect, it } from "vitest";
import { delivery, event, PAGE, T0, written, type StoreFixture } from "./fixtures.js";

const claim = (now: number, worker: number) => ({ now, worker, limit: 100, skipEndpoints: [], perEndpointLimit: 100 });

export function describeWorkers(f: StoreFixture): void {
  describe("workers (leases and failover)", () => {
    it("keeps a worker alive while it renews, and moves its cover unless a born lease lowered it since", async () => {
      const { store, projectId } = f;
      const a = await store.workers.register("a", T0 + 15_000);
      expect(await store.workers.register("b", T0 + 15_000)).toBeGreaterThan(a);
      const first = await store.workers.renew(a, T0 + 20_000, { from: null, version: 0 });
      expect(first).toEqual({ alive: true, version: 0, covered: true });
      // A born lease covers its deliveries in its own transaction, and bumps the version.
      const { deliveries } = await written(store, event(projectId), (e) => [delivery(e)], {
        lease: { worker: a, coveredFrom: null },
      });
      // A renewal computed before that (version 0, no cover) is refused its cover, and learns the new version.
      const stale = await store.workers.renew(a, T0 + 25_000, { from: null, version: 0 });
      expect(stale).toMatchObject({ alive: true, covered: false });
      expect(stale.version).toBeGreaterThan(0);
      // The delivery is still covered: when a dies, it is found and queued again.
      expect(await store.workers.reap(T0 + 30_000)).toBe(1);
      expect(
        (await store.deliveries.claim(claim(T0 + 30_000, await store.workers.register("c", T0 + 90_000)))).map(
          (d) => d.id,
        ),
      ).toEqual([deliveries[0]!.id]);
      expect(await store.workers.renew(a, T0 + 40_000)).toEqual({ alive: false, version: 0, covered: false });
    });

    it("reaps only workers that stopped renewing; claimed deliveries go back to the queue, born leased ones from the cover on", async () => {
      const { store, projectId } = f;
      const alive = await store.workers.register("alive", T0 + 60_000);
      const dead = await store.workers.register("dead", T0 + 10_000);
      const queued = await written(store, event(projectId), (e) => [delivery(e, { uri: "https://a.example/1" })]);
      await store.deliveries.claim(claim(T0, dead));
      const born = await written(store, event(projectId), (e) => [delivery(e, { uri: "https://b.example/2" })], {
        lease: { worker: dead, coveredFrom: null },
      });
      const mine = await written(store, event(projectId), (e) => [delivery(e, { uri: "https://c.example/3" })], {
        lease: { worker: alive, coveredFrom: null },
      });
      expect(await store.workers.reap(T0 + 9_999)).toBe(0);
      expect(await store.workers.reap(T0 + 10_000)).toBe(2);
      expect(await store.workers.reap(T0 + 10_000)).toBe(0);
      const claimed = await store.deliveries.claim(claim(T0 + 10_000, alive));
      expect(claimed.map((d) => d.id).sort()).toEqual([queued.deliveries[0]!.id, born.deliveries[0]!.id].sort());
      // The live worker's own delivery stays its own.
      expect(claimed.map((d) => d.id)).not.toContain(mine.deliveries[0]!.id);
      expect((await store.deliveries.list(projectId, { eventId: mine.event.id }, PAGE)).items[0]).toMatchObject({
        state: "pending",
      });
    });

    it("queues a dead worker's deliveries due when they were first due, ahead of what their endpoint queued since", async () => {
      const { store, projectId } = f;
      const alive = await store.workers.register("alive", T0 + 60_000);
      const dead = await store.workers.register("dead", T0 + 10_000);
      const claimedByDead = await written(store, event(projectId), (e) => [delivery(e)]);
      await store.deliveries.claim(claim(T0, dead));
      const bornToDead = await written(store, event(projectId, { createdAt: T0 + 1_000 }), (e) => [delivery(e)], {
        lease: { worker: dead, coveredFrom: null },
      });
      // Queued for the same endpoint after both, while the dead worker still held them.
      const later = await written(store, event(projectId, { createdAt: T0 + 5_000 }), (e) => [delivery(e)]);
      expect(await store.workers.reap(T0 + 20_000)).toBe(2);
      const one = (now: number) => store.deliveries.claim({ ...claim(now, alive), limit: 1 });
      expect((await one(T0 + 20_000)).map((d) => d.id)).toEqual([claimedByDead.deliveries[0]!.id]);
      expect((await one(T0 + 20_000)).map((d) => d.id)).toEqual([bornToDead.deliveries[0]!.id]);
      expect((await one(T0 + 20_000)).map((d) => d.id)).toEqual([later.deliveries[0]!.id]);
    });

    it("on a store only this process uses, reaps every other worker at once; a worker that stops hands back what it holds", async () => {
      const { store, projectId } = f;
      const before = await store.workers.register("previous process", T0 + 60_000);
      const born = await written(store, event(projectId), (e) => [delivery(e)], {
        lease: { worker: before, coveredFrom: null },
      });
      const now = await store.workers.register("this process", T0 + 60_000);
      expect(await store.workers.reap(T0, now)).toBe(1);
      expect((await store.deliveries.claim(claim(T0, now))).map((d) => d.id)).toEqual([born.deliveries[0]!.id]);
      // Retiring hands back its claimed delivery.
      expect(await store.workers.retire(now, T0 + 1)).toBe(1);
      const next = await store.workers.register("next", T0 + 60_000);
      expect((await store.deliveries.claim(claim(T0 + 1, next))).map((d) => d.id)).toEqual([born.deliveries[0]!.id]);
    });
  });
}
