import { describe, expect, it } from "vitest";
import { T0, type StoreFixture } from "./fixtures.js";

const key = (kid: string, createdAt: number, activatesAt = createdAt) => ({
  kid,
  publicJwk: { kty: "RSA", kid, n: "x", e: "AQAB" },
  sealedPrivateJwk: `sealed-${kid}`,
  createdAt,
  activatesAt,
});

export function describeSigningKeys(f: StoreFixture): void {
  describe("signing keys", () => {
    it("adds a key that signs from its activation, retiring the keys before it at that moment, and lists newest first", async () => {
      const { store } = f;
      expect(await store.signingKeys.list()).toEqual([]);
      await store.signingKeys.add(key("k1", T0));
      await store.signingKeys.add(key("k2", T0 + 10, T0 + 900_000));
      expect(await store.signingKeys.list()).toEqual([
        key("k2", T0 + 10, T0 + 900_000),
        { ...key("k1", T0), retiredAt: T0 + 900_000 },
      ]);
    });
  });
}
