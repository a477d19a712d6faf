import { describe, expect, it } from "vitest";
import {
  keysSigningV1aAt,
  publishedKeys,
  RETIRED_KEY_PUBLISHED_MS,
  signingKeyAt,
} from "../../../src/core/signing-keys.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const PROPAGATION = 900_000;
// A key made at T0, rotated at T0 + 1000: the next one is published at once and signs from T0 + 1000 + PROPAGATION.
const keys = [
  { kid: "old", activatesAt: T0, retiredAt: T0 + 1000 + PROPAGATION },
  { kid: "next", activatesAt: T0 + 1000 + PROPAGATION },
];

describe("staged key rotation", () => {
  it("keeps signing with the current key until the next one activates", () => {
    expect(signingKeyAt(keys, T0 + 1000)?.kid).toBe("old");
    expect(signingKeyAt(keys, T0 + 1000 + PROPAGATION - 1)?.kid).toBe("old");
    expect(signingKeyAt(keys, T0 + 1000 + PROPAGATION)?.kid).toBe("next");
    expect(signingKeyAt(keys, T0 - 1)).toBeUndefined();
  });

  it("publishes the next key before it signs, and a retired one for 48 h after", () => {
    expect(publishedKeys(keys, T0 + 1000).map((k) => k.kid)).toEqual(["old", "next"]);
    const retired = T0 + 1000 + PROPAGATION;
    expect(publishedKeys(keys, retired + RETIRED_KEY_PUBLISHED_MS - 1).map((k) => k.kid)).toEqual(["old", "next"]);
    expect(publishedKeys(keys, retired + RETIRED_KEY_PUBLISHED_MS).map((k) => k.kid)).toEqual(["next"]);
  });

  it("signs v1a with both keys while the rotation is staged, then with the new one alone", () => {
    expect(keysSigningV1aAt(keys, T0 + 1000).map((k) => k.kid)).toEqual(["old", "next"]);
    expect(keysSigningV1aAt(keys, T0 + 1000 + PROPAGATION - 1).map((k) => k.kid)).toEqual(["old", "next"]);
    expect(keysSigningV1aAt(keys, T0 + 1000 + PROPAGATION).map((k) => k.kid)).toEqual(["next"]);
    // Every key that signs v1a is published: a receiver holding the JWKS can verify each entry.
    const published = publishedKeys(keys, T0 + 1000).map((k) => k.kid);
    for (const key of keysSigningV1aAt(keys, T0 + 1000)) expect(published).toContain(key.kid);
  });
});
