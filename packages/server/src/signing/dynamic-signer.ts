import type { DynamicSigningScheme } from "../core/signing-keys.js";
import { signedContent } from "./ed25519.js";
import { webhookClaims } from "./jwt/claims.js";
import type { JwtSignerPool } from "./jwt/pool.js";

/** What a dynamic (webhook_config) delivery's signature covers. */
export interface DynamicDelivery {
  /** The target URI: the JWT's `aud`. */
  uri: string;
  /** The `webhook-id`. */
  eventId: string;
  body: string;
}

/**
 * Signs dynamic deliveries with the server's key ring, in the configured scheme: a fresh JWT per attempt
 * (`aud` = the target, `body_sha256` binding the body), or `v1a` Ed25519 entries, which bind the id, the
 * timestamp and the body but not the target.
 */
export class DynamicSigner {
  constructor(
    private readonly pool: JwtSignerPool,
    private readonly scheme: DynamicSigningScheme,
    private readonly issuer: string,
  ) {}

  signature(delivery: DynamicDelivery, timestampSeconds: number, attemptAt: number): Promise<string> {
    if (this.scheme === "v1a")
      return this.pool.signV1a(signedContent(delivery.eventId, timestampSeconds, delivery.body), attemptAt);
    const claims = webhookClaims({
      issuer: this.issuer,
      audience: delivery.uri,
      webhookId: delivery.eventId,
      body: delivery.body,
      issuedAt: timestampSeconds,
    });
    return this.pool.sign(claims, attemptAt);
  }
}
