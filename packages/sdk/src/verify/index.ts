/**
 * `@tidings/sdk/verify`: webhook verification only. Web-standard APIs and jose, nothing from `node:`,
 * so it runs on Node, Bun, Deno and edge runtimes (test/no-node-builtins.test.ts enforces this).
 */
import { MissingAudienceError } from "../errors.js";
import type { WebhookEvent } from "../events.js";
import type { HeadersInput } from "./headers.js";
import { resolveKeySource, verifyJwtWebhook, type JwtWebhookOptions } from "./jwt.js";
import { StandardWebhookVerifier, type StandardWebhookOptions } from "./standard-webhooks.js";
import { Ed25519WebhookVerifier, type Ed25519WebhookOptions } from "./v1a.js";

export type VerifyOptions = StandardWebhookOptions | Ed25519WebhookOptions | JwtWebhookOptions;

/**
 * What a verifier built once (and so a receiver) takes: as VerifyOptions, except that a JWT's `audience`
 * may be left out, to be taken per request from the URL the delivery arrived at.
 */
export type VerifierOptions =
  | StandardWebhookOptions
  | Ed25519WebhookOptions
  | (Omit<JwtWebhookOptions, "audience"> & { audience?: string });

/** About the request a delivery came in, for what the options leave to it. */
export interface VerifyContext {
  /** The absolute URL the delivery was posted to: the JWT's audience when the options give none. */
  url?: string;
}

/** Verifies one delivery; reusable and cheap to call per request. */
export type Verifier = (
  rawBody: string | Uint8Array,
  headers: HeadersInput,
  context?: VerifyContext,
) => Promise<WebhookEvent>;

function isJwtOptions<T extends { jwks?: unknown }>(
  options: StandardWebhookOptions | Ed25519WebhookOptions | T,
): options is T {
  return "jwks" in options && options.jwks !== undefined;
}

function isEd25519Options(options: StandardWebhookOptions | Ed25519WebhookOptions): options is Ed25519WebhookOptions {
  return "publicKey" in options && options.publicKey !== undefined;
}

/**
 * Builds a verifier once: secrets are decoded and a JWKS URL resolved up front, so configuration
 * mistakes throw here (at start-up), not on the first delivery. With `jwks` and no `audience`, each call
 * must say the URL it was posted to (`context.url`), or it rejects with MissingAudienceError.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  if (isJwtOptions(options)) {
    const fixed = options.audience;
    if (fixed !== undefined && (typeof fixed !== "string" || fixed === "")) throw new MissingAudienceError();
    const keySource = resolveKeySource(options);
    return async (rawBody, headers, context) => {
      const audience = fixed ?? context?.url;
      if (audience === undefined || audience === "")
        throw new MissingAudienceError(
          "audience is required with jwks: pass it in the options, or the URL the request arrived at",
        );
      return verifyJwtWebhook(rawBody, headers, { ...options, audience }, keySource);
    };
  }
  if (isEd25519Options(options)) {
    const verifier = new Ed25519WebhookVerifier(options);
    return (rawBody, headers) => verifier.verify(rawBody, headers);
  }
  const verifier = new StandardWebhookVerifier(options);
  return async (rawBody, headers) => verifier.verify(rawBody, headers);
}

/**
 * Verifies a Tidings webhook and returns its event.
 *
 * - Static webhooks: `{ secret }` (Standard Webhooks `v1`, HMAC, `whsec_…`), or `{ publicKey }` for one
 *   registered with `signing_scheme: "v1a"` (Ed25519, `whpk_…`).
 * - Dynamic webhooks (`webhook_config`): `{ jwks, audience }`: an RS256 JWT in `webhook-signature`, or `v1a`
 *   entries verified against the JWKS's Ed25519 keys (TIDINGS_DYNAMIC_SIGNING=v1a); read from the header.
 *
 * `rawBody` must be the exact bytes received: a body that went through `JSON.parse` and back will not
 * verify. Rejects with a {@link WebhookVerificationError} subclass, or {@link MissingAudienceError} when
 * `jwks` comes without `audience` (which would let a token minted for another endpoint verify here).
 */
export async function verifyWebhook<C extends string = string>(
  rawBody: string | Uint8Array,
  headers: HeadersInput,
  options: VerifyOptions,
): Promise<WebhookEvent<C>> {
  if (isJwtOptions(options)) return verifyJwtWebhook<C>(rawBody, headers, options);
  // The verifiers are thin objects over cached keys; building one per call costs a Map lookup.
  if (isEd25519Options(options)) return new Ed25519WebhookVerifier(options).verify<C>(rawBody, headers);
  return new StandardWebhookVerifier(options).verify<C>(rawBody, headers);
}

export {
  DEFAULT_TOLERANCE_SECONDS,
  StandardWebhookVerifier,
  decodeSecret,
  signStandardWebhook,
  type StandardWebhookOptions,
  type VerifiedHeaders,
} from "./standard-webhooks.js";
export { Ed25519WebhookVerifier, decodePublicKey, type Ed25519WebhookOptions } from "./v1a.js";
export {
  TIDINGS_JWT_ALGORITHMS,
  verifyJwtWebhook,
  type JSONWebKeySet,
  type JwtWebhookOptions,
  type JWTVerifyGetKey,
  type KeySourceOptions,
} from "./jwt.js";
export { getHeader, type HeaderRecord, type HeadersInput, type HeadersLike } from "./headers.js";
export { parseEvent } from "./parse.js";
export * from "../errors.js";
export * from "../events.js";
