import type { Webhook as WebhookResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import { activeSecrets, truncateSecret, type Webhook } from "../../core/webhooks.js";

/** The wire view (snake_case, DESIGN §2.1). The full secret is added only by create. */
export function toWebhookResource(webhook: Webhook, now: number): WebhookResource {
  return {
    id: webhook.id,
    name: webhook.name,
    uri: webhook.uri,
    subscribed_events: webhook.subscribedEvents,
    state: webhook.state,
    signing_secrets: activeSecrets(webhook, now).map((s) => ({
      truncated_secret: truncateSecret(s.secret),
      ...(s.expireAt !== undefined ? { expire_time: toRfc3339(s.expireAt) } : {}),
    })),
    create_time: toRfc3339(webhook.createdAt),
    update_time: toRfc3339(webhook.updatedAt),
    ordering: webhook.ordering ?? "unordered",
    ...(webhook.rateLimitPerSecond !== undefined ? { rate_limit_per_second: webhook.rateLimitPerSecond } : {}),
  };
}
