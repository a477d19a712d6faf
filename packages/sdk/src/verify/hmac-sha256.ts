/**
 * HMAC-SHA-256 from `@noble/hashes` (audited, synchronous, no `node:` module and no Buffer, so it runs
 * on every runtime the verify module targets), with the key's inner/outer pad states computed once.
 *
 * Why not `crypto.subtle.sign`: on Node 20 every WebCrypto call is an async job (WebIDL argument
 * conversion, a thread-pool hop, a promise), so even with a cached CryptoKey it measured 0.2–0.6× the
 * `standardwebhooks` package's rate (bench/verify.bench.mjs prints it), and a receiver verifies every
 * delivery.
 *
 * Why a padded state and a working copy: `hmac.create(sha256, key)` compresses the two pad blocks, and
 * `_cloneInto` copies that state into an existing instance, so a verification neither repeats those two
 * compressions nor allocates a new HMAC object.
 */
import { type _HMAC, hmac } from "@noble/hashes/hmac.js";
import { type _SHA256, sha256 } from "@noble/hashes/sha2.js";

type Hmac = _HMAC<_SHA256>;

/** A key with its two pad blocks already compressed; build once per secret and reuse. */
export interface HmacKey {
  readonly padded: Hmac;
  /** Overwritten by every call; safe to share because hmacSha256 is synchronous. */
  readonly work: Hmac;
}

export function importHmacKey(key: Uint8Array): HmacKey {
  const padded: Hmac = hmac.create(sha256, key);
  return { padded, work: padded.clone() };
}

/** HMAC of `data`, as 32 bytes written into `out`. */
export function hmacSha256(key: HmacKey, data: Uint8Array, out: Uint8Array): Uint8Array {
  key.padded._cloneInto(key.work).update(data).digestInto(out);
  return out;
}
