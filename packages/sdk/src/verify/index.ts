/**
 * `@tidings/sdk/verify`: webhook verification only. Web-standard APIs and jose, nothing from `node:`,
 * so it runs on Node, Bun, Deno and edge runtimes (test/no-node-builtins.test.ts enforces this).
 */
import { MissingAudienceError } from "../errors.js";
import type { WebhookEvent } from "../events.js";
import type { HeadersInput } from "./headers.js";
import { resolveKeySource, verifyJwtWebhook, type JwtWebhookOptions } from "./jwt.js";
import { StandardWebhookVerifier, type StandardWebhookOptions } from "./standard-webhooks.js";

export type VerifyOptions = StandardWebhookOptions | JwtWebhookOptions;

/**
 * What a verifier built once (and so a receiver) takes: as VerifyOptions, except that a JWT's `audience`
 * may be left out, to be taken per request from the URL the delivery arrived at.
 */
export type VerifierOptions = StandardWebhookOptions | (Omit<JwtWebhookOptions, "audience"> & { audience?: string });

/** About the request a delivery came in, for what the options leave to it. */
export interface VerifyContext {
  /** The absolute URL the delivery was posted to: the JWT's audience when the options give none. */
  url?: string;
}

/** Verifies one delivery; reusable and cheap to call per request. */
export type Verifier = (rawBody: string | Uint8Array, headers: HeadersInput, context?: VerifyContext) => Promise<WebhookEvent>;

function isJwtOptions<T extends { jwks?: unknown }>(options: StandardWebhookOptions | T): options is T {
  return "jwks" in options && options.jwks !== undefined;
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
        throw new MissingAudienceError("audience is required with jwks: pass it in the options, or the URL the request arrived at");
      return verifyJwtWebhook(rawBody, headers, { ...options, audience }, keySource);
    };
  }
  const verifier = new StandardWebhookVerifier(options);
  return async (rawBody, headers) => verifier.verify(rawBody, headers);
}

/**
 * Verifies a Tidings webhook and returns its event.
 *
 * - Static webhooks: `{ secret }` (Standard Webhooks HMAC, `whsec_…`).
 * - Dynamic webhooks (`webhook_config`): `{ jwks, audience }` (RS256 JWT in `webhook-signature`).
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
  // The verifier is a thin object over cached keys; building it per call costs a Map lookup.
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
export { TIDINGS_JWT_ALGORITHMS, verifyJwtWebhook, type JSONWebKeySet, type JwtWebhookOptions, type JWTVerifyGetKey, type KeySourceOptions } from "./jwt.js";
export { getHeader, type HeaderRecord, type HeadersInput, type HeadersLike } from "./headers.js";
export { parseEvent } from "./parse.js";
export * from "../errors.js";
export * from "../events.js";
