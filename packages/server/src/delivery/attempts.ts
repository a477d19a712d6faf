import { attemptHeaders } from "../core/deliveries.js";
import { USER_AGENT } from "../version.js";
import type { AttemptBuilder } from "./engine.js";
import type { DynamicSigner } from "../signing/dynamic-signer.js";
import type { StaticSigner } from "../signing/static-signer.js";

/**
 * One attempt's headers and how it is signed. Static webhooks are signed with their own secrets or keys
 * (Standard Webhooks `v1` or `v1a`); dynamic targets with the server's key ring (a JWT, or `v1a`). The sender makes
 * the signature (`AttemptSigning`).
 */
export function deliveryAttempts(deps: { staticSigner: StaticSigner; dynamicSigner: DynamicSigner }): AttemptBuilder {
  return (delivery, attemptAt) => {
    const timestampSeconds = Math.floor(attemptAt / 1000);
    const headers = attemptHeaders(delivery.eventId, attemptAt, USER_AGENT);
    if (delivery.webhookId === undefined) {
      const signing = deps.dynamicSigner.signing(delivery, timestampSeconds, attemptAt);
      return signing instanceof Promise ? signing.then((s) => ({ headers, signing: s })) : { headers, signing };
    }
    if (delivery.sealedSecrets === undefined) throw new Error(`webhook ${delivery.webhookId} no longer exists`);
    return { headers, signing: deps.staticSigner.signing(delivery.sealedSecrets, attemptAt) };
  };
}
