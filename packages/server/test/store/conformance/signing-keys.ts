import { describe, expect, it } from "vitest";
import { T0, type StoreFixture } from "./fixtures.js";

const key = (kid: string, createdAt: number) => ({ kid, publicJwk: { kty: "RSA", kid, n: "x", e: "AQAB" }, sealedPrivateJwk: `sealed-${kid}`, createdAt });

export function describeSigningKeys(f: StoreFixture): void {
  describe("signing keys", () => {
    it("adds a key as the current one, retiring the previous, and lists newest first", async () => {
      const { store } = f;
      expect(await store.signingKeys.list()).toEqual([]);
      await store.signingKeys.add(key("k1", T0), T0);
      await store.signingKeys.add(key("k2", T0 + 10), T0 + 10);
      expect(await store.signingKeys.list()).toEqual([key("k2", T0 + 10), { ...key("k1", T0), retiredAt: T0 + 10 }]);
    });
  });
}
