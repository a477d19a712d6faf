import { base64url, createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from "jose";
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

export type { JSONWebKeySet, JWTVerifyGetKey } from "jose";

/** What a Tidings server may sign with (TIDINGS_JWT_ALG): RS256 by default, ES256 or EdDSA when so configured. */
export const TIDINGS_JWT_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

/** Options for dynamic webhooks (`webhook_config`), signed with a JWT (RS256 by default; DESIGN §4). */
export interface JwtWebhookOptions {
  /**
   * Where the public keys come from: the server's JWKS URL (`https://tidings.example/.well-known/jwks.json`),
   * a JWKS object, or a jose key getter.
   */
  jwks: string | URL | JSONWebKeySet | JWTVerifyGetKey;
  /** This endpoint's URI exactly as it was given in `webhook_config.uris`; the token's `aud`. */
  audience: string;
  /** The server's public URL (`TIDINGS_PUBLIC_URL`); checked against `iss` when given. */
  issuer?: string;
  /** Oldest accepted `iat`, in seconds; also bounds replays of a captured token. Default 300. */
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

// One remote set per URL (and settings) for the whole process: every receiver and every call to
// verifyWebhook shares the fetched keys instead of downloading the JWKS per request.
const REMOTE_SETS = new Map<string, JWTVerifyGetKey>();
const REMOTE_SETS_MAX = 32;
const LOCAL_SETS = new WeakMap<JSONWebKeySet, JWTVerifyGetKey>();

const PASS_THROUGH_CODES = new Set(["ERR_JWKS_NO_MATCHING_KEY", "ERR_JWKS_MULTIPLE_MATCHING_KEYS"]);

/** The options that say where keys come from. */
export type KeySourceOptions = Pick<JwtWebhookOptions, "jwks" | "jwksCooldownMs" | "jwksCacheMaxAgeMs">;

function remoteKeySet(url: URL, options: KeySourceOptions): JWTVerifyGetKey {
  const cacheKey = `${url.href} ${options.jwksCooldownMs ?? ""} ${options.jwksCacheMaxAgeMs ?? ""}`;
  let getter = REMOTE_SETS.get(cacheKey);
  if (getter === undefined) {
    const remote = createRemoteJWKSet(url, {
      ...(options.jwksCooldownMs !== undefined && { cooldownDuration: options.jwksCooldownMs }),
      ...(options.jwksCacheMaxAgeMs !== undefined && { cacheMaxAge: options.jwksCacheMaxAgeMs }),
    });
    // Separates "the key server is down" (our problem: answer 5xx, let the sender retry) from "this
    // token is bad" (their problem: 4xx).
    getter = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (PASS_THROUGH_CODES.has(joseCode(error))) throw error;
        throw new KeySetUnavailableError(`could not load the JWKS from ${url.href}`, { cause: error });
      }
    };
    if (REMOTE_SETS.size >= REMOTE_SETS_MAX) {
      const oldest = REMOTE_SETS.keys().next().value;
      if (oldest !== undefined) REMOTE_SETS.delete(oldest);
    }
    REMOTE_SETS.set(cacheKey, getter);
  }
  return getter;
}

/** Resolves the `jwks` option to a jose key getter (cached, so call it per request freely). */
export function resolveKeySource(options: KeySourceOptions): JWTVerifyGetKey {
  const { jwks } = options;
  if (typeof jwks === "function") return jwks;
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
    local = createLocalJWKSet(jwks);
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
 * Verifies a dynamic-webhook delivery and returns the event parsed from the raw body (identical to the
 * claims' event once `body_sha256` matches, and what the sender's byte-exact body says).
 */
export async function verifyJwtWebhook<C extends string = string>(
  rawBody: string | Uint8Array,
  headers: HeadersInput,
  options: JwtWebhookOptions,
  keySource: JWTVerifyGetKey = resolveKeySource(options),
): Promise<WebhookEvent<C>> {
  // Checked at run time too: JavaScript callers and `as` casts can leave it out, and jose skips an
  // audience check it is not given.
  if (typeof options.audience !== "string" || options.audience === "") throw new MissingAudienceError();
  const webhookId = getHeader(headers, "webhook-id");
  if (webhookId === undefined) throw new MissingHeaderError("webhook-id");
  const token = getHeader(headers, "webhook-signature");
  if (token === undefined) throw new MissingHeaderError("webhook-signature");
  if (!COMPACT_JWS.test(token)) {
    throw new InvalidSignatureError(
      token.startsWith("v1,") ? "webhook-signature is an HMAC signature; verify static webhooks with { secret }" : "webhook-signature is not a compact JWS",
    );
  }

  const now = options.now ?? Date.now;
  let payload: TidingsClaims;
  try {
    ({ payload } = await jwtVerify<TidingsClaims>(token, keySource, {
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
