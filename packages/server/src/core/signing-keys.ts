import type { TIDINGS_JWT_ALGORITHMS } from "@tidings/sdk";

/**
 * What signs dynamic webhooks: RS256 by default (what Gemini uses and every receiver accepts); ES256 and
 * EdDSA for receivers that accept them, at a fraction of RS256's cost per signature. The list is the SDK's, so
 * its verifier accepts whatever a server may sign with.
 */
export type JwtAlgorithm = (typeof TIDINGS_JWT_ALGORITHMS)[number];

/**
 * TIDINGS_DYNAMIC_SIGNING: how dynamic webhooks are signed. `jwt` (the default) is what Google's docs describe: a
 * JWT in `webhook-signature`. `v1a` is what Gemini's live deliveries carry: Standard Webhooks' Ed25519 entries
 * (`v1a,<base64>`) over `${id}.${timestamp}.${body}`, verified against the JWKS's Ed25519 keys.
 */
export type DynamicSigningScheme = "jwt" | "v1a";
export const DYNAMIC_SIGNING_SCHEMES: readonly DynamicSigningScheme[] = ["jwt", "v1a"];

/** When a key that signs dynamic webhooks is in use (docs/wire.md: signing keys). */
export interface KeySchedule {
  kid: string;
  /** From when it signs: a rotation publishes the next key first and lets it sign only later. */
  activatesAt: number;
  /** From when it no longer signs: its successor's activation. */
  retiredAt?: number;
}

/** How long a retired key stays in the JWKS, so in-flight retries and receivers' caches still verify. */
export const RETIRED_KEY_PUBLISHED_MS = 48 * 60 * 60 * 1000;

/** The key that signs at `at`: the one activated most recently that is not yet retired. */
export function signingKeyAt<K extends KeySchedule>(keys: readonly K[], at: number): K | undefined {
  let best: K | undefined;
  for (const key of keys) {
    if (key.activatesAt > at || (key.retiredAt !== undefined && key.retiredAt <= at)) continue;
    if (best === undefined || key.activatesAt > best.activatesAt) best = key;
  }
  return best;
}

/**
 * The keys that sign a `v1a` delivery at `at`, one `v1a,` entry each: every key not yet retired, which is the
 * one in use and, while a rotation is staged, the next one (published already). A `v1a` entry names no key, so
 * a receiver tries the keys it knows: during the overlap both the key in its cached JWKS and the new one verify.
 */
export function keysSigningV1aAt<K extends KeySchedule>(keys: readonly K[], at: number): K[] {
  return keys.filter((k) => k.retiredAt === undefined || k.retiredAt > at);
}

/**
 * The keys the JWKS publishes at `now`: the next key (published before it signs, so that a receiver that
 * fetched the JWKS just before a rotation never meets an unknown `kid`), the current one, and the ones
 * retired less than 48 h ago.
 */
export function publishedKeys<K extends KeySchedule>(keys: readonly K[], now: number): K[] {
  return keys.filter((k) => k.retiredAt === undefined || k.retiredAt > now - RETIRED_KEY_PUBLISHED_MS);
}
