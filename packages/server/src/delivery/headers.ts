import type { ClaimedDelivery } from "../store/store.js";
import { attemptHeaders } from "../core/deliveries.js";
import { USER_AGENT } from "../version.js";
import type { HeaderBuilder } from "./engine.js";
import { webhookClaims } from "../signing/jwt/claims.js";
import type { JwtSignerPool } from "../signing/jwt/pool.js";
import type { StaticSigner } from "../signing/static-signer.js";

/**
 * The headers of one attempt (DESIGN §4). Static webhooks get Standard Webhooks HMAC signatures;
 * dynamic targets get a fresh RS256 JWT whose `aud` is the target URI.
 */
export function deliveryHeaders(deps: { staticSigner: StaticSigner; jwtSigner: JwtSignerPool; issuer: string }): HeaderBuilder {
  const signature = async (delivery: ClaimedDelivery, attemptAt: number, timestampSeconds: number): Promise<string> => {
    if (delivery.webhookId === undefined) {
      const claims = webhookClaims({
        issuer: deps.issuer,
        audience: delivery.uri,
        webhookId: delivery.eventId,
        body: delivery.body,
        issuedAt: timestampSeconds,
      });
      return deps.jwtSigner.sign(claims, attemptAt);
    }
    if (delivery.sealedSecrets === undefined) throw new Error(`webhook ${delivery.webhookId} no longer exists`);
    return deps.staticSigner.signature(delivery.sealedSecrets, delivery.eventId, timestampSeconds, delivery.body, attemptAt);
  };
  return async (delivery, attemptAt) =>
    attemptHeaders(delivery.eventId, attemptAt, USER_AGENT, await signature(delivery, attemptAt, Math.floor(attemptAt / 1000)));
}
