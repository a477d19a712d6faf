import type { DynamicSigningScheme } from "../core/signing-keys.js";
import type { AttemptSigning } from "./attempt-signing.js";
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
 * Dynamic deliveries are signed with the server's key ring, in the configured scheme: a fresh JWT per attempt
 * (`aud` = the target, `body_sha256` binding the body), or `v1a` Ed25519 entries, which bind the id, the
 * timestamp and the body but not the target. Ed25519 signatures are made by the sender (`AttemptSigning`);
 * RS256 and ES256 tokens by the pool's threads, here.
 */
export class DynamicSigner {
  constructor(
    private readonly pool: JwtSignerPool,
    private readonly scheme: DynamicSigningScheme,
    private readonly issuer: string,
  ) {}

  /** How an attempt at `attemptAt` (ms; its `webhook-timestamp` in seconds) is signed. */
  signing(
    delivery: DynamicDelivery,
    timestampSeconds: number,
    attemptAt: number,
  ): AttemptSigning | Promise<AttemptSigning> {
    if (this.scheme === "v1a") return { kind: "entries", hmacKeys: [], ed25519Keys: this.pool.v1aKeysAt(attemptAt) };
    const ed25519 = this.pool.ed25519KeyAt(attemptAt);
    if (ed25519 !== undefined) return { kind: "eddsa-jwt", ...ed25519, issuer: this.issuer, audience: delivery.uri };
    const claims = webhookClaims({
      issuer: this.issuer,
      audience: delivery.uri,
      webhookId: delivery.eventId,
      body: delivery.body,
      issuedAt: timestampSeconds,
    });
    return this.pool.sign(claims, attemptAt).then((signature): AttemptSigning => ({ kind: "signed", signature }));
  }
}
