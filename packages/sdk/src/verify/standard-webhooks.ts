import { base64 } from "@scure/base";
import { InvalidSecretError, InvalidSignatureError, MissingHeaderError, TimestampError } from "../errors.js";
import type { WebhookEvent } from "../events.js";
import { getHeader, type HeadersInput } from "./headers.js";
import { hmacSha256, importHmacKey, type HmacKey } from "./hmac-sha256.js";
import { parseEvent } from "./parse.js";

/** Options for static webhooks, signed with Standard Webhooks HMAC-SHA256 (docs/wire.md: signing). */
export interface StandardWebhookOptions {
  /**
   * `whsec_` + base64 (raw base64 is accepted too). Pass several during a rotation: any one matching
   * is enough.
   */
  secret: string | readonly string[];
  /** Maximum distance between `webhook-timestamp` and now, either way. Default 300. */
  toleranceSeconds?: number;
  /** Clock in milliseconds since the epoch, like `Date.now` (the default). */
  now?: () => number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = "whsec_";

/** Decodes a signing secret to its key bytes; throws InvalidSecretError for unusable ones. */
export function decodeSecret(secret: string): Uint8Array {
  if (typeof secret !== "string") throw new InvalidSecretError("secret must be a string");
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  let key: Uint8Array;
  try {
    // atob, not a strict decoder: it accepts what Buffer-based senders accept (missing padding,
    // surrounding whitespace), as this function always has.
    key = Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0));
  } catch {
    throw new InvalidSecretError("secret is not base64 (expected whsec_ followed by base64)");
  }
  if (key.length === 0) throw new InvalidSecretError("secret is empty");
  return key;
}

// Receivers use one or two secrets for their lifetime; importing the key (two compressions) once per
// secret instead of per request is most of the speed-up. Bounded so that a caller cycling through
// secrets cannot grow it without limit.
const KEY_CACHE = new Map<string, HmacKey>();
const KEY_CACHE_MAX = 64;

function keyFor(secret: string): HmacKey {
  let key = KEY_CACHE.get(secret);
  if (key === undefined) {
    key = importHmacKey(decodeSecret(secret));
    if (KEY_CACHE.size >= KEY_CACHE_MAX) {
      const oldest = KEY_CACHE.keys().next().value;
      if (oldest !== undefined) KEY_CACHE.delete(oldest);
    }
    KEY_CACHE.set(secret, key);
  }
  return key;
}

const utf8Encoder = new TextEncoder();

// Reused buffer for `${id}.${timestamp}.${body}`, so a verification allocates no byte arrays for
// ordinary bodies. Bodies above the limit get their own array instead of pinning a large scratch.
const SCRATCH_LIMIT = 64 * 1024;
let scratch = new Uint8Array(4096);

function scratchFor(size: number): Uint8Array {
  if (size > SCRATCH_LIMIT) return new Uint8Array(size);
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
  return scratch;
}

const DIGEST = new Uint8Array(32);

/** The HMAC of the signed content `${id}.${timestamp}.${body}`, in a shared 32-byte buffer. */
function computeDigest(key: HmacKey, id: string, timestamp: number, body: string | Uint8Array): Uint8Array {
  const prefix = `${id}.${timestamp}.`;
  let buffer: Uint8Array;
  let length: number;
  if (typeof body === "string") {
    const content = prefix + body;
    // encodeInto never writes more than 3 bytes per UTF-16 unit.
    buffer = scratchFor(content.length * 3);
    length = utf8Encoder.encodeInto(content, buffer).written;
  } else {
    // Raw bytes are hashed as they are (not decoded and re-encoded), so invalid UTF-8 cannot be
    // normalised into a different message.
    buffer = scratchFor(prefix.length * 3 + body.length);
    length = utf8Encoder.encodeInto(prefix, buffer).written;
    buffer.set(body, length);
    length += body.length;
  }
  return hmacSha256(key, buffer.subarray(0, length), DIGEST);
}

/**
 * Signs like a Standard Webhooks sender: returns the `v1,<base64>` entry for `webhook-signature`.
 * Join several (one per secret) with a space.
 */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string | Uint8Array,
): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new TypeError("timestampSeconds must be a non-negative integer (Unix seconds)");
  }
  return `v1,${base64.encode(computeDigest(keyFor(secret), id, timestampSeconds, body))}`;
}

const TIMESTAMP_PATTERN = /^[0-9]{1,15}$/;
const SPACE = 32;
const COMMA = 44;
const LOWER_V = 118;
const DIGIT_1 = 49;

/**
 * Whether any `v1,<base64>` entry of a space-separated `webhook-signature` equals `expected`. Other
 * versions (`v1a` = ed25519, future ones) are skipped, as the spec asks. Scans in place instead of
 * splitting, because allocation showed up in the profile. Every v1 entry of the right length is
 * compared in full, so timing reveals nothing about where a near-miss differs.
 */
function headerHasSignature(header: string, expected: string): boolean {
  const length = expected.length;
  let matched = 0;
  let start = 0;
  const n = header.length;
  while (start < n) {
    let end = header.indexOf(" ", start);
    if (end === -1) end = n;
    // A proxy that merged repeated headers leaves "v1,a, v1,b"; base64 never ends in a comma.
    const tokenEnd = end > start && header.charCodeAt(end - 1) === COMMA ? end - 1 : end;
    if (
      tokenEnd - start - 3 === length &&
      header.charCodeAt(start) === LOWER_V &&
      header.charCodeAt(start + 1) === DIGIT_1 &&
      header.charCodeAt(start + 2) === COMMA
    ) {
      let diff = 0;
      for (let i = 0; i < length; i++) diff |= header.charCodeAt(start + 3 + i) ^ expected.charCodeAt(i);
      if (diff === 0) matched = 1;
    }
    start = end + 1;
    while (start < n && header.charCodeAt(start) === SPACE) start++;
  }
  return matched === 1;
}

export interface VerifiedHeaders {
  webhookId: string;
  /** Unix seconds from `webhook-timestamp`. */
  timestamp: number;
}

/**
 * The three Standard Webhooks headers, present, with a timestamp within `toleranceSeconds` of now either
 * way (stale: a possible replay; future: clock skew). Shared by `v1` and `v1a`.
 */
export function readSignedHeaders(
  headers: HeadersInput,
  toleranceSeconds: number,
  now: () => number,
): VerifiedHeaders & { signature: string } {
  const webhookId = getHeader(headers, "webhook-id");
  if (webhookId === undefined) throw new MissingHeaderError("webhook-id");
  const timestampHeader = getHeader(headers, "webhook-timestamp");
  if (timestampHeader === undefined) throw new MissingHeaderError("webhook-timestamp");
  const signature = getHeader(headers, "webhook-signature");
  if (signature === undefined) throw new MissingHeaderError("webhook-signature");

  if (!TIMESTAMP_PATTERN.test(timestampHeader)) {
    throw new TimestampError("webhook-timestamp is not Unix seconds");
  }
  const timestamp = Number(timestampHeader);
  const nowSeconds = Math.floor(now() / 1000);
  if (nowSeconds - timestamp > toleranceSeconds) throw new TimestampError("webhook-timestamp is too old");
  if (timestamp - nowSeconds > toleranceSeconds) throw new TimestampError("webhook-timestamp is in the future");
  return { webhookId, timestamp, signature };
}

/** A tolerance as given, or the default; a negative one is a programming mistake. */
export function toleranceOf(seconds: number | undefined): number {
  const tolerance = seconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!(tolerance >= 0)) throw new RangeError("toleranceSeconds must be a non-negative number");
  return tolerance;
}

/**
 * Verifies Standard Webhooks signatures for one set of secrets. Construct once (it validates and
 * imports the secrets) and call `verify` per request; the work per call is synchronous.
 */
export class StandardWebhookVerifier {
  readonly #keys: HmacKey[];
  readonly #toleranceSeconds: number;
  readonly #now: () => number;

  constructor(options: StandardWebhookOptions) {
    const secrets = typeof options.secret === "string" ? [options.secret] : [...options.secret];
    if (secrets.length === 0) throw new InvalidSecretError("no secret given");
    this.#keys = secrets.map(keyFor);
    this.#toleranceSeconds = toleranceOf(options.toleranceSeconds);
    this.#now = options.now ?? Date.now;
  }

  /** Throws a WebhookVerificationError unless a `v1` entry matches; returns the verified headers. */
  verifySignature(rawBody: string | Uint8Array, headers: HeadersInput): VerifiedHeaders {
    const { webhookId, timestamp, signature } = readSignedHeaders(headers, this.#toleranceSeconds, this.#now);
    for (const key of this.#keys) {
      const expected = base64.encode(computeDigest(key, webhookId, timestamp, rawBody));
      if (headerHasSignature(signature, expected)) return { webhookId, timestamp };
    }
    throw new InvalidSignatureError(
      signature.startsWith("v1a,")
        ? "webhook-signature carries v1a (Ed25519) signatures: verify this webhook with { publicKey }"
        : "no matching signature",
    );
  }

  /** Verifies, then parses the body into an event. */
  verify<C extends string = string>(rawBody: string | Uint8Array, headers: HeadersInput): WebhookEvent<C> {
    this.verifySignature(rawBody, headers);
    return parseEvent<C>(rawBody);
  }
}
