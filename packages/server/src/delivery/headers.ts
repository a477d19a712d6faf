import { attemptHeaders } from "../core/deliveries.js";
import { USER_AGENT } from "../version.js";
import type { HeaderBuilder } from "./engine.js";
import type { DynamicSigner } from "../signing/dynamic-signer.js";
import type { StaticSigner } from "../signing/static-signer.js";

/**
 * The headers of one attempt. Static webhooks are signed with their own secrets or keys
 * (Standard Webhooks `v1` or `v1a`); dynamic targets with the server's key ring (a JWT, or `v1a`).
 */
export function deliveryHeaders(deps: { staticSigner: StaticSigner; dynamicSigner: DynamicSigner }): HeaderBuilder {
  return (delivery, attemptAt) => {
    const timestampSeconds = Math.floor(attemptAt / 1000);
    const headers = (signature: string) => attemptHeaders(delivery.eventId, attemptAt, USER_AGENT, signature);
    if (delivery.webhookId === undefined)
      return deps.dynamicSigner.signature(delivery, timestampSeconds, attemptAt).then(headers);
    if (delivery.sealedSecrets === undefined) throw new Error(`webhook ${delivery.webhookId} no longer exists`);
    return headers(
      deps.staticSigner.signature(delivery.sealedSecrets, delivery.eventId, timestampSeconds, delivery.body, attemptAt),
    );
  };
}
