import type { Delivery, PlannedDelivery } from "./deliveries.js";
import { subscriptionMatches } from "./event-types.js";
import type { EventTarget, StoredEvent } from "./events.js";
import type { WebhookConfig } from "./operations.js";
import type { Webhook } from "./webhooks.js";

type Candidate = Pick<Webhook, "id" | "uri" | "state" | "subscribedEvents">;

/** Where one delivery of an event went: a static webhook, or a dynamic URI. */
export type DeliveryTarget = Pick<Delivery, "webhookId" | "uri">;

/** Deliveries that share an endpoint share a concurrency budget: a static webhook, or a dynamic URI's origin. */
export function endpointKey(webhookId: string | undefined, uri: string): string {
  return webhookId !== undefined ? `webhook:${webhookId}` : `origin:${new URL(uri).origin}`;
}

/** The target choice (DESIGN §1): a request's own webhook_config replaces the project's static webhooks. */
export function eventTargetFor(webhookConfig: WebhookConfig | undefined): EventTarget {
  return webhookConfig !== undefined ? { kind: "uris", uris: webhookConfig.uris } : { kind: "subscribers" };
}

/** The deliveries an event fans out to: enabled, subscribed static webhooks, one webhook, or a request's URIs. */
export function planDeliveries(event: StoredEvent, target: EventTarget, webhooks: readonly Candidate[], now: number): PlannedDelivery[] {
  switch (target.kind) {
    case "uris":
      return [...new Set(target.uris)].map((uri) => newDelivery(event, { uri }, now));
    case "webhook":
      return webhooks.filter((w) => w.id === target.webhookId).map((w) => newDelivery(event, { webhookId: w.id, uri: w.uri }, now));
    case "subscribers":
      return webhooks
        .filter((w) => w.state === "enabled" && w.id !== target.excludeWebhookId && subscriptionMatches(w.subscribedEvents, event.type))
        .map((w) => newDelivery(event, { webhookId: w.id, uri: w.uri }, now));
  }
}

/**
 * A redelivery (same event, same webhook-id): to one webhook, or else to the event's original targets that
 * can still receive it: its dynamic URIs, and those of its static webhooks that are still enabled.
 */
export function planRedelivery(
  event: StoredEvent,
  previous: readonly DeliveryTarget[],
  webhooks: readonly Candidate[],
  webhookId: string | undefined,
  now: number,
): PlannedDelivery[] {
  if (webhookId !== undefined) return planDeliveries(event, { kind: "webhook", webhookId }, webhooks, now);
  const previousWebhooks = new Set(previous.flatMap((t) => (t.webhookId === undefined ? [] : [t.webhookId])));
  const uris = previous.filter((t) => t.webhookId === undefined).map((t) => t.uri);
  return [
    ...planDeliveries(event, { kind: "uris", uris }, [], now),
    ...webhooks.filter((w) => w.state === "enabled" && previousWebhooks.has(w.id)).map((w) => newDelivery(event, { webhookId: w.id, uri: w.uri }, now)),
  ];
}

function newDelivery(event: StoredEvent, target: DeliveryTarget, now: number): PlannedDelivery {
  return {
    eventId: event.id,
    projectId: event.projectId,
    ...(target.webhookId !== undefined ? { webhookId: target.webhookId } : {}),
    uri: target.uri,
    endpointKey: endpointKey(target.webhookId, target.uri),
    windowStartAt: event.createdAt,
    createdAt: now,
  };
}
