/**
 * Standard Webhooks `v1a`: Ed25519 signatures of `${webhook-id}.${webhook-timestamp}.${body}`, each a
 * `v1a,<base64>` entry of `webhook-signature`. Tidings signs static `v1a` webhooks with a key pair per webhook
 * (the receiver holds `whpk_…`, which cannot sign) and, with TIDINGS_DYNAMIC_SIGNING=v1a, dynamic deliveries with
 * the Ed25519 keys of its JWKS, as Gemini's live deliveries are signed. WebCrypto only: no `node:` module.
 */
import { base64 } from "@scure/base";
import { InvalidSecretError, InvalidSignatureError } from "../errors.js";
import type { WebhookEvent } from "../events.js";
import type { HeadersInput } from "./headers.js";
import { parseEvent } from "./parse.js";
import { readSignedHeaders, toleranceOf, type VerifiedHeaders } from "./standard-webhooks.js";

/** Options for static webhooks registered with `signing_scheme: "v1a"`. */
export interface Ed25519WebhookOptions {
  /**
   * The webhook's `public_key`: `whpk_` + base64 of the raw 32-byte Ed25519 key (raw base64 is accepted
   * too). Pass several during a rotation: any one matching is enough.
   */
  publicKey: string | readonly string[];
  /** Maximum distance between `webhook-timestamp` and now, either way. Default 300. */
  toleranceSeconds?: number;
  /** Clock in milliseconds since the epoch, like `Date.now` (the default). */
  now?: () => number;
}

const PUBLIC_KEY_PREFIX = "whpk_";
const ENTRY_PREFIX = "v1a,";
const ED25519 = { name: "Ed25519" } as const;

/** Decodes a `whpk_` key to its 32 bytes; throws InvalidSecretError (a configuration mistake) otherwise. */
export function decodePublicKey(publicKey: string): Uint8Array {
  if (typeof publicKey !== "string") throw new InvalidSecretError("publicKey must be a string");
  const encoded = publicKey.startsWith(PUBLIC_KEY_PREFIX) ? publicKey.slice(PUBLIC_KEY_PREFIX.length) : publicKey;
  let raw: Uint8Array;
  try {
    raw = base64.decode(encoded.trim());
  } catch {
    throw new InvalidSecretError("publicKey is not base64 (expected whpk_ followed by base64 of 32 bytes)");
  }
  if (raw.length !== 32) throw new InvalidSecretError(`publicKey is ${raw.length} bytes; an Ed25519 public key is 32`);
  return raw;
}

// Receivers verify with one or two keys for their lifetime: import each once. Bounded like the HMAC cache.
const KEY_CACHE = new Map<string, Promise<CryptoKey>>();
const KEY_CACHE_MAX = 64;

function importPublicKey(publicKey: string): Promise<CryptoKey> {
  let key = KEY_CACHE.get(publicKey);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", decodePublicKey(publicKey) as Uint8Array<ArrayBuffer>, ED25519, false, [
      "verify",
    ]);
    if (KEY_CACHE.size >= KEY_CACHE_MAX) {
      const oldest = KEY_CACHE.keys().next().value;
      if (oldest !== undefined) KEY_CACHE.delete(oldest);
    }
    KEY_CACHE.set(publicKey, key);
  }
  return key;
}

/**
 * The signatures of every `v1a,` entry (other versions are skipped, as the spec asks; so are entries that are not 64
 * bytes).
 */
export function v1aSignatures(header: string): Uint8Array[] {
  const signatures: Uint8Array[] = [];
  for (const token of header.split(" ")) {
    if (!token.startsWith(ENTRY_PREFIX)) continue;
    // A proxy that merged repeated headers leaves "v1a,a, v1a,b"; base64 never ends in a comma.
    const encoded = token.slice(ENTRY_PREFIX.length).replace(/,$/, "");
    try {
      const signature = base64.decode(encoded);
      if (signature.length === 64) signatures.push(signature);
    } catch {
      // Not base64: no key can have made it.
    }
  }
  return signatures;
}

const utf8 = new TextEncoder();

/** The bytes `v1` and `v1a` sign: `${id}.${timestamp}.` then the body exactly as received. */
export function signedContent(id: string, timestamp: number, rawBody: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = utf8.encode(`${id}.${timestamp}.`);
  const body = typeof rawBody === "string" ? utf8.encode(rawBody) : rawBody;
  const content = new Uint8Array(prefix.length + body.length);
  content.set(prefix);
  content.set(body, prefix.length);
  return content;
}

/** Whether any of `keys` made any of the signatures over `content`. A key that is not Ed25519 matches nothing. */
export async function anyKeySigned(
  keys: readonly CryptoKey[],
  signatures: readonly Uint8Array[],
  content: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  for (const key of keys) {
    for (const signature of signatures) {
      try {
        if (await crypto.subtle.verify(ED25519, key, signature as Uint8Array<ArrayBuffer>, content)) return true;
      } catch {
        // Another kind of key (an Ed448 key in a JWKS, say): it cannot have signed this.
      }
    }
  }
  return false;
}

/** The headers, read and checked, with the `v1a` signatures and the content they sign. */
export function readV1aDelivery(
  rawBody: string | Uint8Array,
  headers: HeadersInput,
  options: { toleranceSeconds?: number; now?: () => number },
): VerifiedHeaders & { signatures: Uint8Array[]; content: Uint8Array<ArrayBuffer> } {
  const { webhookId, timestamp, signature } = readSignedHeaders(
    headers,
    toleranceOf(options.toleranceSeconds),
    options.now ?? Date.now,
  );
  const signatures = v1aSignatures(signature);
  if (signatures.length === 0) {
    throw new InvalidSignatureError(
      signature.startsWith("v1,")
        ? "webhook-signature carries v1 (HMAC) signatures: verify this webhook with { secret }"
        : "webhook-signature has no v1a entry",
    );
  }
  return { webhookId, timestamp, signatures, content: signedContent(webhookId, timestamp, rawBody) };
}

/**
 * Verifies `v1a` deliveries of static webhooks for one set of public keys. Construct once (it checks the keys,
 * so a mistake surfaces at start-up) and call `verify` per request.
 */
export class Ed25519WebhookVerifier {
  readonly #publicKeys: string[];
  readonly #options: Ed25519WebhookOptions;

  constructor(options: Ed25519WebhookOptions) {
    const keys = typeof options.publicKey === "string" ? [options.publicKey] : [...options.publicKey];
    if (keys.length === 0) throw new InvalidSecretError("no publicKey given");
    for (const key of keys) decodePublicKey(key);
    toleranceOf(options.toleranceSeconds);
    this.#publicKeys = keys;
    this.#options = options;
  }

  /** Throws a WebhookVerificationError unless a `v1a` entry verifies under one of the keys. */
  async verifySignature(rawBody: string | Uint8Array, headers: HeadersInput): Promise<VerifiedHeaders> {
    const { webhookId, timestamp, signatures, content } = readV1aDelivery(rawBody, headers, this.#options);
    const keys = await Promise.all(this.#publicKeys.map(importPublicKey));
    if (!(await anyKeySigned(keys, signatures, content))) throw new InvalidSignatureError();
    return { webhookId, timestamp };
  }

  /** Verifies, then parses the body into an event. */
  async verify<C extends string = string>(
    rawBody: string | Uint8Array,
    headers: HeadersInput,
  ): Promise<WebhookEvent<C>> {
    await this.verifySignature(rawBody, headers);
    return parseEvent<C>(rawBody);
  }
}
