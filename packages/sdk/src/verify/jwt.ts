import {
  base64url,
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import {
  AudienceError,
  InvalidSignatureError,
  IssuerError,
  KeySetUnavailableError,
  MissingAudienceError,
  MissingHeaderError,
  TimestampError,
  TokenExpiredError,
  UnknownKeyError,
  WebhookVerificationError,
} from "../errors.js";
import type { WebhookEvent } from "../events.js";
import { getHeader, type HeadersInput } from "./headers.js";
import { parseEvent } from "./parse.js";
import { DEFAULT_TOLERANCE_SECONDS } from "./standard-webhooks.js";
import { anyKeySigned, readV1aDelivery } from "./v1a.js";

export type { JSONWebKeySet, JWTVerifyGetKey } from "jose";

/** What a Tidings server may sign with (TIDINGS_JWT_ALG): RS256 by default, ES256 or EdDSA when so configured. */
export const TIDINGS_JWT_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

/**
 * Options for dynamic webhooks (`webhook_config`): signed with a JWT (RS256 by default), or with
 * `v1a` Ed25519 entries when the server runs with TIDINGS_DYNAMIC_SIGNING=v1a. The header says which.
 */
export interface JwtWebhookOptions {
  /**
   * Where the public keys come from: the server's JWKS URL (`https://tidings.example/.well-known/jwks.json`),
   * a JWKS object, or a jose key getter.
   */
  jwks: string | URL | JSONWebKeySet | JWTVerifyGetKey;
  /**
   * This endpoint's URI exactly as it was given in `webhook_config.uris`; the token's `aud`. Required either
   * way, though a `v1a` signature does not cover it (rely on deduplication by `webhook-id` there).
   */
  audience: string;
  /** The server's public URL (`TIDINGS_PUBLIC_URL`); checked against `iss` when given. */
  issuer?: string;
  /** Oldest accepted `iat` (v1a: `webhook-timestamp`, either way), in seconds; also bounds replays. Default 300. */
  toleranceSeconds?: number;
  /** Allowed clock skew for `exp`/`iat`/`nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** Clock in milliseconds since the epoch, like `Date.now` (the default). */
  now?: () => number;
  /**
   * Minimum time between two JWKS fetches caused by an unknown `kid`, in ms (jose's default, 30 000).
   * A lower value picks up a rotated key sooner; the floor stops forged `kid`s from hammering the server.
   */
  jwksCooldownMs?: number;
  /** How long a fetched JWKS is used before it is refetched, in ms (default 600 000). */
  jwksCacheMaxAgeMs?: number;
  /**
   * The JWS algorithms accepted (default: the three a Tidings server can sign with). A key is only ever
   * used with its own algorithm; narrow this to the one your server is configured with, if you like.
   */
  algorithms?: readonly string[];
}

/**
 * Where a verifier's public keys come from: jose's key getter, and for a JWKS URL a way to fetch it again
 * (jose refetches on an unknown `kid` by itself; a `v1a` signature names no key, so its verifier asks).
 */
export interface KeySource {
  getKey: JWTVerifyGetKey;
  /** The key set itself (fetched if the cached copy is stale), when the source is one: `v1a` tries each Ed25519 key. */
  keySet?: () => Promise<JSONWebKeySet>;
  /** Refetches the JWKS unless it was fetched within the cooldown; resolves whether it did. */
  refresh?: () => Promise<boolean>;
}

// One remote set per URL (and settings) for the whole process: every receiver and every call to
// verifyWebhook shares the fetched keys instead of downloading the JWKS per request.
const REMOTE_SETS = new Map<string, KeySource>();
const REMOTE_SETS_MAX = 32;
const LOCAL_SETS = new WeakMap<JSONWebKeySet, KeySource>();

const PASS_THROUGH_CODES = new Set(["ERR_JWKS_NO_MATCHING_KEY", "ERR_JWKS_MULTIPLE_MATCHING_KEYS"]);

/** The options that say where keys come from. */
export type KeySourceOptions = Pick<JwtWebhookOptions, "jwks" | "jwksCooldownMs" | "jwksCacheMaxAgeMs">;

function remoteKeySet(url: URL, options: KeySourceOptions): KeySource {
  const cacheKey = `${url.href} ${options.jwksCooldownMs ?? ""} ${options.jwksCacheMaxAgeMs ?? ""}`;
  let source = REMOTE_SETS.get(cacheKey);
  if (source === undefined) {
    const remote = createRemoteJWKSet(url, {
      ...(options.jwksCooldownMs !== undefined && { cooldownDuration: options.jwksCooldownMs }),
      ...(options.jwksCacheMaxAgeMs !== undefined && { cacheMaxAge: options.jwksCacheMaxAgeMs }),
    });
    // Separates "the key server is down" (our problem: answer 5xx, let the sender retry) from "this
    // token is bad" (their problem: 4xx).
    const unavailable = (error: unknown) =>
      new KeySetUnavailableError(`could not load the JWKS from ${url.href}`, { cause: error });
    source = {
      getKey: async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          if (PASS_THROUGH_CODES.has(joseCode(error))) throw error;
          throw unavailable(error);
        }
      },
      keySet: async () => {
        try {
          if (!remote.fresh) await remote.reload();
        } catch (error) {
          throw unavailable(error);
        }
        return remote.jwks() ?? { keys: [] };
      },
      refresh: async () => {
        if (remote.coolingDown) return false;
        try {
          await remote.reload();
        } catch (error) {
          throw unavailable(error);
        }
        return true;
      },
    };
    if (REMOTE_SETS.size >= REMOTE_SETS_MAX) {
      const oldest = REMOTE_SETS.keys().next().value;
      if (oldest !== undefined) REMOTE_SETS.delete(oldest);
    }
    REMOTE_SETS.set(cacheKey, source);
  }
  return source;
}

/** Resolves the `jwks` option to a key source (cached, so call it per request freely). */
export function resolveKeySource(options: KeySourceOptions): KeySource {
  const { jwks } = options;
  if (typeof jwks === "function") return { getKey: jwks };
  if (typeof jwks === "string" || jwks instanceof URL) {
    let url: URL;
    try {
      url = new URL(jwks);
    } catch {
      throw new TypeError(`jwks is not a URL: ${String(jwks)}`);
    }
    return remoteKeySet(url, options);
  }
  let local = LOCAL_SETS.get(jwks);
  if (local === undefined) {
    const keys = jwks;
    local = { getKey: createLocalJWKSet(keys), keySet: async () => keys };
    LOCAL_SETS.set(jwks, local);
  }
  return local;
}

function joseCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** Maps jose's errors onto ours by `code` (not instanceof, which breaks with two copies of jose). */
function mapJoseError(error: unknown): WebhookVerificationError {
  if (error instanceof WebhookVerificationError) return error;
  const code = joseCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const claim = (error as { claim?: unknown }).claim;
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return new TokenExpiredError(message, { cause: error });
    case "ERR_JWKS_NO_MATCHING_KEY":
      return new UnknownKeyError(undefined, { cause: error });
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (claim === "aud") return new AudienceError(message, { cause: error });
      if (claim === "iss") return new IssuerError(message, { cause: error });
      if (claim === "iat" || claim === "nbf" || claim === "exp") return new TimestampError(message, { cause: error });
      return new InvalidSignatureError(message, { cause: error });
    default:
      return new InvalidSignatureError(message, { cause: error });
  }
}

async function sha256Base64Url(bytes: Uint8Array): Promise<string> {
  // WebCrypto here (unlike HMAC) because this path is async anyway and bodies may be large.
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return base64url.encode(new Uint8Array(digest));
}

interface TidingsClaims extends JWTPayload {
  body_sha256?: unknown;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Verifies a dynamic-webhook delivery and returns the event parsed from the raw body. The scheme is read
 * from the header: a JWT (checked against `audience`, with `body_sha256` binding the body), or `v1a` entries
 * (TIDINGS_DYNAMIC_SIGNING=v1a, as Gemini's live deliveries), checked against the JWKS's Ed25519 keys.
 */
export async function verifyJwtWebhook<C extends string = string>(
  rawBody: string | Uint8Array,
  headers: HeadersInput,
  options: JwtWebhookOptions,
  keySource: KeySource = resolveKeySource(options),
): Promise<WebhookEvent<C>> {
  // Checked at run time too: JavaScript callers and `as` casts can leave it out, and jose skips an
  // audience check it is not given. A v1a signature cannot bind it, but the options cannot know the scheme.
  if (typeof options.audience !== "string" || options.audience === "") throw new MissingAudienceError();
  const webhookId = getHeader(headers, "webhook-id");
  if (webhookId === undefined) throw new MissingHeaderError("webhook-id");
  const token = getHeader(headers, "webhook-signature");
  if (token === undefined) throw new MissingHeaderError("webhook-signature");
  if (token.startsWith("v1a,")) return verifyV1aWithKeySet<C>(rawBody, headers, options, keySource);
  if (!COMPACT_JWS.test(token)) {
    throw new InvalidSignatureError(
      token.startsWith("v1,")
        ? "webhook-signature is an HMAC signature; verify static webhooks with { secret }"
        : "webhook-signature is not a compact JWS",
    );
  }

  const now = options.now ?? Date.now;
  let payload: TidingsClaims;
  try {
    ({ payload } = await jwtVerify<TidingsClaims>(token, keySource.getKey, {
      algorithms: [...(options.algorithms ?? TIDINGS_JWT_ALGORITHMS)],
      audience: options.audience,
      ...(options.issuer !== undefined && { issuer: options.issuer }),
      requiredClaims: ["iat", "exp", "jti", "body_sha256"],
      maxTokenAge: options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
      clockTolerance: options.clockToleranceSeconds ?? 5,
      currentDate: new Date(now()),
    }));
  } catch (error) {
    throw mapJoseError(error);
  }

  // A valid token copied onto another delivery (different id or body) must not verify it.
  if (payload.jti !== webhookId) throw new InvalidSignatureError("token jti does not match webhook-id");
  const bytes = typeof rawBody === "string" ? new TextEncoder().encode(rawBody) : rawBody;
  if (payload.body_sha256 !== (await sha256Base64Url(bytes))) {
    throw new InvalidSignatureError("body does not match the token's body_sha256");
  }
  return parseEvent<C>(rawBody);
}

/** An Ed25519 public JWK that may verify signatures (RFC 8037; `alg` EdDSA, Ed25519 or absent). */
function isEd25519Jwk(jwk: Record<string, unknown>): boolean {
  return (
    jwk.kty === "OKP" &&
    jwk.crv === "Ed25519" &&
    typeof jwk.x === "string" &&
    (jwk.use === undefined || jwk.use === "sig") &&
    (jwk.alg === undefined || jwk.alg === "EdDSA" || jwk.alg === "Ed25519")
  );
}

// Imported once per key (by its `x`): a JWKS holds a handful and changes only at rotations.
const IMPORTED = new Map<string, Promise<CryptoKey>>();
const IMPORTED_MAX = 64;

function importEd25519Jwk(x: string): Promise<CryptoKey> {
  let key = IMPORTED.get(x);
  if (key === undefined) {
    key = crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x }, { name: "Ed25519" }, false, ["verify"]);
    if (IMPORTED.size >= IMPORTED_MAX) {
      const oldest = IMPORTED.keys().next().value;
      if (oldest !== undefined) IMPORTED.delete(oldest);
    }
    IMPORTED.set(x, key);
  }
  return key;
}

/** The Ed25519 keys of the source: read from the key set, or (a jose key getter) every key it offers for EdDSA. */
async function ed25519Keys(source: KeySource): Promise<CryptoKey[]> {
  if (source.keySet !== undefined) {
    const { keys } = await source.keySet();
    return Promise.all(
      keys.filter((k) => isEd25519Jwk(k as Record<string, unknown>)).map((k) => importEd25519Jwk(k.x as string)),
    );
  }
  try {
    return [(await source.getKey({ alg: "EdDSA" }, { payload: "", signature: "" })) as CryptoKey];
  } catch (error) {
    const code = joseCode(error);
    if (code === "ERR_JWKS_NO_MATCHING_KEY") return [];
    if (code !== "ERR_JWKS_MULTIPLE_MATCHING_KEYS")
      throw error instanceof WebhookVerificationError
        ? error
        : new KeySetUnavailableError("could not read the JWKS", { cause: error });
    // jose lets the caller try each candidate, as jwtVerify itself does.
    const keys: CryptoKey[] = [];
    for await (const key of error as AsyncIterable<CryptoKey>) keys.push(key);
    return keys;
  }
}

/**
 * A dynamic delivery signed `v1a`: some entry must verify under an Ed25519 key of the JWKS. Entries name no
 * key, so when none verifies the JWKS is fetched again (at most once per cooldown), in case the key is new.
 */
async function verifyV1aWithKeySet<C extends string>(
  rawBody: string | Uint8Array,
  headers: HeadersInput,
  options: JwtWebhookOptions,
  source: KeySource,
): Promise<WebhookEvent<C>> {
  const { signatures, content } = readV1aDelivery(rawBody, headers, {
    toleranceSeconds: options.toleranceSeconds,
    now: options.now,
  });
  let keys = await ed25519Keys(source);
  if (await anyKeySigned(keys, signatures, content)) return parseEvent<C>(rawBody);
  if (source.refresh !== undefined && (await source.refresh())) {
    keys = await ed25519Keys(source);
    if (await anyKeySigned(keys, signatures, content)) return parseEvent<C>(rawBody);
  }
  if (keys.length === 0) throw new UnknownKeyError("the JWKS has no Ed25519 key to verify v1a signatures with");
  throw new InvalidSignatureError();
}
