/**
 * `@tidings/sdk/verify`: webhook verification only. Web-standard APIs and jose, nothing from `node:`,
 * so it runs on Node, Bun, Deno and edge runtimes (test/no-node-builtins.test.ts enforces this).
 */
import type { WebhookEvent } from "../events.js";
import type { HeadersInput } from "./headers.js";
import { resolveKeySource, verifyJwtWebhook, type JwtWebhookOptions } from "./jwt.js";
import { StandardWebhookVerifier, type StandardWebhookOptions } from "./standard-webhooks.js";

export type VerifyOptions = StandardWebhookOptions | JwtWebhookOptions;

/** Verifies one delivery; reusable and cheap to call per request. */
export type Verifier = (rawBody: string | Uint8Array, headers: HeadersInput) => Promise<WebhookEvent>;

function isJwtOptions(options: VerifyOptions): options is JwtWebhookOptions {
  return "jwks" in options && options.jwks !== undefined;
}

/**
 * Builds a verifier once: secrets are decoded and a JWKS URL resolved up front, so configuration
 * mistakes throw here (at start-up), not on the first delivery.
 */
export function createVerifier(options: VerifyOptions): Verifier {
  if (isJwtOptions(options)) {
    if (typeof options.audience !== "string" || options.audience === "") {
      throw new TypeError("audience is required with jwks: this endpoint's URI as given in webhook_config");
    }
    const keySource = resolveKeySource(options);
    return (rawBody, headers) => verifyJwtWebhook(rawBody, headers, options, keySource);
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
 * verify. Rejects with a {@link WebhookVerificationError} subclass.
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
export { verifyJwtWebhook, type JSONWebKeySet, type JwtWebhookOptions, type JWTVerifyGetKey } from "./jwt.js";
export { getHeader, type HeaderRecord, type HeadersInput, type HeadersLike } from "./headers.js";
export { parseEvent } from "./parse.js";
export * from "../errors.js";
export * from "../events.js";
