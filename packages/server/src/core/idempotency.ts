import { createHash } from "node:crypto";
import { invalidArgument, TidingsError } from "./errors.js";
import { canonicalJson } from "./json.js";

/**
 * Idempotent creates, with Stripe's semantics: a client that retries a create (its first answer lost, a 5xx)
 * sends the same `Idempotency-Key`, and gets the first answer again instead of a second resource. A key names
 * one request within its scope (a project, or the admin key) for 24 hours.
 */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A request holding a key renews its claim while it runs; a claim not renewed for this long belonged to a
 * process that died mid-request, and the next request with the key runs instead of waiting forever.
 */
export const IDEMPOTENCY_CLAIM_MS = 30_000;

/** A key as a request holds it while it runs: `owner` tells this request's claim from a later one's. */
export interface IdempotencyClaim {
  scope: string;
  key: string;
  fingerprint: string;
  owner: string;
  createdAt: number;
  expiresAt: number;
  lockedUntil: number;
}

/** A key as stored: in flight (no response yet, `lockedUntil` set), or answered (`sealedResponse`). */
export interface IdempotencyRecord extends Omit<IdempotencyClaim, "lockedUntil"> {
  lockedUntil?: number;
  /** The first answer, sealed at rest (it may hold a webhook's one-time signing secret or an API key). */
  sealedResponse?: string;
}

/** The first answer, replayed to every retry: status, the headers that carry meaning, and the body. */
export interface SavedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The key a request carries, if any: one header of 1–255 characters, else a 400 naming the header. */
export function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header))
    throw invalidArgument(IDEMPOTENCY_HEADER, "is sent more than once; send one key per request");
  if (header.trim() === "")
    throw invalidArgument(
      IDEMPOTENCY_HEADER,
      "is empty; send a unique value per request, such as a UUID, or no header",
    );
  if (header.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalidArgument(
      IDEMPOTENCY_HEADER,
      `is ${header.length} characters long; the limit is ${MAX_IDEMPOTENCY_KEY_LENGTH} (a UUID is 36)`,
    );
  }
  return header;
}

/**
 * What a request is, for telling a retry from another request that reuses its key: method, route, path parameters,
 * query and body.
 */
export interface RequestIdentity {
  method: string;
  route: string;
  params: unknown;
  query: unknown;
  /**
   * The parsed body (compared by meaning, not spelling: key order and proto3 JSON names do not matter), or raw bytes.
   */
  body: unknown;
}

/** A digest of the request: two requests with the same one are the same request. */
export function requestFingerprint(request: RequestIdentity): string {
  const { body, ...rest } = request;
  const hash = createHash("sha256").update(canonicalJson(rest));
  if (Buffer.isBuffer(body)) hash.update("\0bytes\0").update(body);
  else hash.update("\0json\0").update(canonicalJson(body ?? null));
  return hash.digest("base64url");
}

/**
 * What a request meets when its key is already held: the first answer to replay, or a first request still
 * running to wait for. A key sent with another request is a 400 naming the header, whatever the first's state.
 */
export function judgeRetry(record: IdempotencyRecord, fingerprint: string): "replay" | "wait" {
  if (record.fingerprint !== fingerprint) {
    throw invalidArgument(
      IDEMPOTENCY_HEADER,
      `"${record.key}" was sent with another request (a different body or path) in the last 24 hours; ` +
        "a key names one request: send a new key for a new request, or the same request to get its first answer",
    );
  }
  return record.sealedResponse !== undefined ? "replay" : "wait";
}

/** A retry waited as long as it may while the first request with its key still ran. */
export function stillInFlight(key: string, waitedMs: number): TidingsError {
  return new TidingsError(
    "ABORTED",
    `${IDEMPOTENCY_HEADER}: the first request with "${key}" is still running after ${Math.round(waitedMs / 1000)} s; retry later to get its answer`,
    IDEMPOTENCY_HEADER,
  );
}

/** The claim a request makes on its key at `now`. */
export function newClaim(
  scope: string,
  key: string,
  fingerprint: string,
  owner: string,
  now: number,
): IdempotencyClaim {
  return {
    scope,
    key,
    fingerprint,
    owner,
    createdAt: now,
    expiresAt: now + IDEMPOTENCY_KEY_TTL_MS,
    lockedUntil: now + IDEMPOTENCY_CLAIM_MS,
  };
}
