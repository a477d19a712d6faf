import type { Webhook as WebhookResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import { activeSecrets, currentPublicKey, truncateSecret, type Webhook } from "../../core/webhooks.js";

/** The wire view (snake_case). A v1 secret in full is added only by create; v1a public keys are always shown. */
export function toWebhookResource(webhook: Webhook, now: number): WebhookResource {
  const publicKey = currentPublicKey(webhook, now);
  return {
    id: webhook.id,
    name: webhook.name,
    uri: webhook.uri,
    subscribed_events: webhook.subscribedEvents,
    state: webhook.state,
    signing_scheme: webhook.signingScheme,
    ...(publicKey !== undefined ? { public_key: publicKey } : {}),
    signing_secrets: activeSecrets(webhook, now).map((s) => ({
      truncated_secret: truncateSecret(s),
      ...(s.publicKey !== undefined ? { public_key: s.publicKey } : {}),
      ...(s.expireAt !== undefined ? { expire_time: toRfc3339(s.expireAt) } : {}),
    })),
    create_time: toRfc3339(webhook.createdAt),
    update_time: toRfc3339(webhook.updatedAt),
    ordering: webhook.ordering ?? "unordered",
    ...(webhook.rateLimitPerSecond !== undefined ? { rate_limit_per_second: webhook.rateLimitPerSecond } : {}),
  };
}
