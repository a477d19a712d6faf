import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_CLAIM_MS, IDEMPOTENCY_KEY_TTL_MS, newClaim } from "../../../src/core/idempotency.js";
import { T0, type StoreFixture } from "./fixtures.js";

export function describeIdempotency(f: StoreFixture): void {
  describe("idempotency keys", () => {
    const scope = () => `project:${f.projectId}`;

    it("gives a key to its first request, shows it in flight to the others, then replays the saved answer", async () => {
      const { store } = f;
      const first = newClaim(scope(), "k1", "fp", "owner-1", T0);
      expect(await store.idempotency.claim(first, T0)).toBeUndefined();
      const second = newClaim(scope(), "k1", "fp", "owner-2", T0 + 1);
      expect(await store.idempotency.claim(second, T0 + 1)).toEqual({
        scope: scope(),
        key: "k1",
        fingerprint: "fp",
        owner: "owner-1",
        createdAt: T0,
        expiresAt: T0 + IDEMPOTENCY_KEY_TTL_MS,
        lockedUntil: T0 + IDEMPOTENCY_CLAIM_MS,
      });
      // Only the owner finishes it.
      expect(await store.idempotency.complete(scope(), "k1", "owner-2", "sealed-2")).toBe(false);
      expect(await store.idempotency.complete(scope(), "k1", "owner-1", "sealed-1")).toBe(true);
      expect(await store.idempotency.complete(scope(), "k1", "owner-1", "sealed-again")).toBe(false);
      const answered = await store.idempotency.claim(second, T0 + 2);
      expect(answered).toMatchObject({ owner: "owner-1", sealedResponse: "sealed-1" });
      expect(answered?.lockedUntil).toBeUndefined();
      expect(await store.idempotency.get(scope(), "k1")).toEqual(answered);
      // An answered key is never released nor taken over while it lives, even long after its claim ran out.
      expect(await store.idempotency.release(scope(), "k1", "owner-1")).toBe(false);
      expect(await store.idempotency.claim(second, T0 + IDEMPOTENCY_CLAIM_MS * 10)).toMatchObject({
        sealedResponse: "sealed-1",
      });
    });

    it("keeps keys apart per scope", async () => {
      const { store } = f;
      expect(await store.idempotency.claim(newClaim(scope(), "k", "fp", "a", T0), T0)).toBeUndefined();
      expect(await store.idempotency.claim(newClaim("project:other", "k", "fp", "b", T0), T0)).toBeUndefined();
      expect(await store.idempotency.claim(newClaim("admin:x", "k", "fp", "c", T0), T0)).toBeUndefined();
      expect((await store.idempotency.get("project:other", "k"))?.owner).toBe("b");
    });

    it("frees a released key for the next request, and a claim that ran out unless renewed", async () => {
      const { store } = f;
      expect(await store.idempotency.claim(newClaim(scope(), "k", "fp", "a", T0), T0)).toBeUndefined();
      expect(await store.idempotency.release(scope(), "k", "b")).toBe(false);
      expect(await store.idempotency.release(scope(), "k", "a")).toBe(true);
      expect(await store.idempotency.get(scope(), "k")).toBeUndefined();
      expect(await store.idempotency.claim(newClaim(scope(), "k", "other-fp", "b", T0 + 1), T0 + 1)).toBeUndefined();

      // b's claim runs out at T0 + 1 + CLAIM unless it renews it; renewed, it holds.
      expect(await store.idempotency.renew(scope(), "k", "b", T0 + 5 * IDEMPOTENCY_CLAIM_MS)).toBe(true);
      expect(await store.idempotency.renew(scope(), "k", "a", T0 + 5 * IDEMPOTENCY_CLAIM_MS)).toBe(false);
      const later = T0 + 2 * IDEMPOTENCY_CLAIM_MS;
      expect(await store.idempotency.claim(newClaim(scope(), "k", "fp", "c", later), later)).toMatchObject({
        owner: "b",
      });
      const lapsed = T0 + 5 * IDEMPOTENCY_CLAIM_MS;
      expect(await store.idempotency.claim(newClaim(scope(), "k", "fp", "c", lapsed), lapsed)).toBeUndefined();
      expect(await store.idempotency.get(scope(), "k")).toMatchObject({
        owner: "c",
        fingerprint: "fp",
        createdAt: lapsed,
      });
      // The claim it lost is no longer b's to finish.
      expect(await store.idempotency.complete(scope(), "k", "b", "late")).toBe(false);
    });

    it("lets an expired key be used anew, and deletes expired keys oldest first, a batch at a time", async () => {
      const { store } = f;
      for (let i = 0; i < 5; i++) {
        expect(await store.idempotency.claim(newClaim(scope(), `k${i}`, "fp", "a", T0 + i), T0 + i)).toBeUndefined();
        expect(await store.idempotency.complete(scope(), `k${i}`, "a", "sealed")).toBe(true);
      }
      const expiry = T0 + IDEMPOTENCY_KEY_TTL_MS;
      expect(await store.idempotency.claim(newClaim(scope(), "k0", "new-fp", "b", expiry), expiry)).toBeUndefined();
      expect(await store.idempotency.get(scope(), "k0")).toMatchObject({
        owner: "b",
        fingerprint: "new-fp",
        expiresAt: expiry + IDEMPOTENCY_KEY_TTL_MS,
      });
      expect(await store.idempotency.get(scope(), "k0").then((r) => r?.sealedResponse)).toBeUndefined();

      expect(await store.idempotency.deleteExpired(expiry + 3, 1)).toBe(1);
      expect(await store.idempotency.get(scope(), "k1")).toBeUndefined();
      expect(await store.idempotency.deleteExpired(expiry + 3, 10)).toBe(1);
      expect(await store.idempotency.get(scope(), "k2")).toBeUndefined();
      expect(await store.idempotency.get(scope(), "k3")).toBeDefined();
      expect(await store.idempotency.deleteExpired(expiry + 3, 10)).toBe(0);
      expect(await store.idempotency.deleteExpired(expiry + 100, 10)).toBe(2);
      expect(await store.idempotency.get(scope(), "k0")).toBeDefined();
    });

    it("claims inside a transaction, and a rollback leaves the key free", async () => {
      const { store } = f;
      await expect(
        store.transaction(async (tx) => {
          expect(await tx.idempotency.claim(newClaim(scope(), "k", "fp", "a", T0), T0)).toBeUndefined();
          throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      expect(await store.idempotency.get(scope(), "k")).toBeUndefined();
    });
  });
}
