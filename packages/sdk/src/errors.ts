/**
 * Typed verification errors. `code` is stable and safe to switch on or to return to the sender;
 * class names and messages are for humans and may change.
 */

export type WebhookErrorCode =
  | "missing_header"
  | "invalid_signature"
  | "invalid_timestamp"
  | "token_expired"
  | "invalid_audience"
  | "invalid_issuer"
  | "unknown_key"
  | "jwks_unavailable"
  | "invalid_payload";

export class WebhookVerificationError extends Error {
  readonly code: WebhookErrorCode;

  constructor(code: WebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // Explicit rather than `new.target.name`, which minifiers rename.
    this.name = "WebhookVerificationError";
  }
}

/** A required header (`webhook-id`, `webhook-timestamp`, `webhook-signature`) is absent or empty. */
export class MissingHeaderError extends WebhookVerificationError {
  readonly header: string;

  constructor(header: string) {
    super("missing_header", `missing required header "${header}"`);
    this.name = "MissingHeaderError";
    this.header = header;
  }
}

/** No signature matches: wrong secret or key, changed body, malformed token, or jti ≠ webhook-id. */
export class InvalidSignatureError extends WebhookVerificationError {
  constructor(message = "no matching signature", options?: { cause?: unknown }) {
    super("invalid_signature", message, options);
    this.name = "InvalidSignatureError";
  }
}

/** The timestamp is malformed, or outside the tolerance (stale: a possible replay; future: clock skew). */
export class TimestampError extends WebhookVerificationError {
  constructor(message: string, options?: { cause?: unknown }, code: WebhookErrorCode = "invalid_timestamp") {
    super(code, message, options);
    this.name = "TimestampError";
  }
}

/** The JWT's `exp` has passed. A TimestampError, so one `catch` covers both schemes' staleness. */
export class TokenExpiredError extends TimestampError {
  constructor(message = "token expired", options?: { cause?: unknown }) {
    super(message, options, "token_expired");
    this.name = "TokenExpiredError";
  }
}

/** The JWT was minted for another endpoint: a token replayed across receivers. */
export class AudienceError extends WebhookVerificationError {
  constructor(message = "unexpected audience", options?: { cause?: unknown }) {
    super("invalid_audience", message, options);
    this.name = "AudienceError";
  }
}

export class IssuerError extends WebhookVerificationError {
  constructor(message = "unexpected issuer", options?: { cause?: unknown }) {
    super("invalid_issuer", message, options);
    this.name = "IssuerError";
  }
}

/** The JWT's `kid` is not in the JWKS, even after a refetch. */
export class UnknownKeyError extends WebhookVerificationError {
  constructor(message = "no key in the JWKS matches the token's kid", options?: { cause?: unknown }) {
    super("unknown_key", message, options);
    this.name = "UnknownKeyError";
  }
}

/**
 * The JWKS could not be fetched or parsed. Not the sender's fault: receivers should answer 5xx so the
 * delivery is retried rather than reported as a bad signature.
 */
export class KeySetUnavailableError extends WebhookVerificationError {
  constructor(message = "the JWKS could not be fetched", options?: { cause?: unknown }) {
    super("jwks_unavailable", message, options);
    this.name = "KeySetUnavailableError";
  }
}

/** Authentic, but the body is not a JSON event (not UTF-8, not JSON, or no `type`/`data`). */
export class InvalidPayloadError extends WebhookVerificationError {
  constructor(message = "body is not a webhook event", options?: { cause?: unknown }) {
    super("invalid_payload", message, options);
    this.name = "InvalidPayloadError";
  }
}

/**
 * No audience to check a dynamic webhook's JWT against: `verifyWebhook` needs `{ jwks, audience }`, and a
 * receiver without `audience` needs the URL the request arrived at. Without an audience a token captured
 * for one endpoint would verify at any other, so this refuses rather than skipping the check. A
 * configuration mistake, like InvalidSecretError: never answered as a 400 to the sender.
 */
export class MissingAudienceError extends Error {
  readonly code = "missing_audience";

  constructor(message = "audience is required with jwks: this endpoint's URI exactly as given in webhook_config.uris") {
    super(message);
    this.name = "MissingAudienceError";
  }
}

/**
 * A configuration mistake (empty secret, `whsec_` alone, not base64). Thrown when the verifier is
 * built, so it surfaces at start-up rather than as a failed delivery; deliberately not a
 * WebhookVerificationError so it is never answered as a 400 to the sender.
 */
export class InvalidSecretError extends Error {
  readonly code = "invalid_secret";

  constructor(message: string) {
    super(message);
    this.name = "InvalidSecretError";
  }
}
