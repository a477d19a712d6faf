import { subscriptionMatches } from "./event-types.js";
import type { Delivery } from "./deliveries.js";
import type { EventTarget, StoredEvent } from "./events.js";
import { newResourceId } from "./ids.js";
import type { Webhook } from "./webhooks.js";

type Candidate = Pick<Webhook, "id" | "uri" | "state" | "subscribedEvents">;

/** A delivery about to be inserted; `leased` ones go straight to this process's engine instead of the queue. */
export type NewDelivery = Delivery & { endpointKey: string; leased: boolean };

/** Deliveries that share an endpoint share a concurrency budget: a static webhook, or a dynamic URI's origin. */
export function endpointKey(webhookId: string | undefined, uri: string): string {
  return webhookId !== undefined ? `webhook:${webhookId}` : `origin:${new URL(uri).origin}`;
}

/**
 * The deliveries an event fans out to: enabled, subscribed static webhooks, one webhook, or a request's URIs.
 * With `leaseUntil`, they are born leased to the caller, who sends them without claiming them first.
 */
export function planDeliveries(event: StoredEvent, target: EventTarget, webhooks: readonly Candidate[], now: number, leaseUntil?: number): NewDelivery[] {
  const make = (webhookId: string | undefined, uri: string): NewDelivery => ({
    id: newResourceId(),
    projectId: event.projectId,
    eventId: event.id,
    webhookId,
    uri,
    endpointKey: endpointKey(webhookId, uri),
    state: "pending",
    attemptCount: 0,
    nextAttemptAt: leaseUntil ?? now,
    leased: leaseUntil !== undefined,
    windowStartAt: event.createdAt,
    createdAt: now,
    updatedAt: now,
  });
  switch (target.kind) {
    case "uris":
      return [...new Set(target.uris)].map((uri) => make(undefined, uri));
    case "webhook":
      return webhooks.filter((w) => w.id === target.webhookId).map((w) => make(w.id, w.uri));
    case "subscribers":
      return webhooks
        .filter((w) => w.state === "enabled" && w.id !== target.excludeWebhookId && subscriptionMatches(w.subscribedEvents, event.type))
        .map((w) => make(w.id, w.uri));
  }
}
