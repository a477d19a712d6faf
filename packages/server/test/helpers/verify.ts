import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import type { Received } from "./receiver.js";

/**
 * Verifies a received delivery with two independent implementations: the `standardwebhooks` reference
 * library and `svix`. Throws if either rejects it; returns the parsed body.
 */
export function verifyWithReferenceLibraries(secret: string, received: Received): unknown {
  const headers = {
    "webhook-id": String(received.headers["webhook-id"]),
    "webhook-timestamp": String(received.headers["webhook-timestamp"]),
    "webhook-signature": String(received.headers["webhook-signature"]),
  };
  const viaStandard = new StandardWebhook(secret).verify(received.body, headers);
  const viaSvix = new SvixWebhook(secret).verify(received.body, {
    "svix-id": headers["webhook-id"],
    "svix-timestamp": headers["webhook-timestamp"],
    "svix-signature": headers["webhook-signature"],
  });
  if (JSON.stringify(viaStandard) !== JSON.stringify(viaSvix)) throw new Error("the reference verifiers disagree");
  return viaStandard;
}
