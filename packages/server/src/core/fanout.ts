import type { Delivery, PlannedDelivery } from "./deliveries.js";
import { subscriptionMatches } from "./event-types.js";
import type { EventTarget, StoredEvent } from "./events.js";
import type { WebhookConfig } from "./operations.js";
import type { Webhook } from "./webhooks.js";

type Candidate = Pick<Webhook, "id" | "uri" | "state" | "subscribedEvents" | "ordering" | "rateLimitPerSecond">;

/** Where one delivery of an event went: a static webhook, or a dynamic URI. */
export type DeliveryTarget = Pick<Delivery, "webhookId" | "uri">;

/** How a static webhook's deliveries go out: in order, or paced (core/webhooks.ts). */
export type Routing = Pick<Webhook, "ordering" | "rateLimitPerSecond">;

/**
 * Deliveries that share an endpoint share a concurrency budget: a static webhook, or a dynamic URI's origin. A FIFO
 * or rate-limited webhook's key says so, since its deliveries are claimed by one engine at a time (docs/store.md:
 * ordering and rate limits): a FIFO one only its oldest, a paced one as its engine paces them.
 */
export function endpointKey(webhookId: string | undefined, uri: string, routing: Routing = {}): string {
  if (webhookId === undefined) return `origin:${new URL(uri).origin}`;
  if (routing.ordering === "fifo") return `${FIFO}${webhookId}`;
  if (routing.rateLimitPerSecond !== undefined) return `${PACED}${webhookId}`;
  return `webhook:${webhookId}`;
}

const FIFO = "fifo:";
const PACED = "paced:";

/** Every key a webhook's deliveries may wait under, whatever its routing was when they were written. */
export function webhookEndpointKeys(webhookId: string): string[] {
  return [`webhook:${webhookId}`, `${FIFO}${webhookId}`, `${PACED}${webhookId}`];
}

export const isFifoEndpoint = (key: string): boolean => key.startsWith(FIFO);
export const isPacedEndpoint = (key: string): boolean => key.startsWith(PACED);

/**
 * Deliveries that may be born leased to the engine of the process that wrote them: not those claimed one engine at a
 * time.
 */
export const isBornLeasable = (key: string): boolean => !isFifoEndpoint(key) && !isPacedEndpoint(key);

/**
 * The target choice (docs/wire.md: dynamic targets): a request's own webhook_config replaces the project's static
 * webhooks.
 */
export function eventTargetFor(webhookConfig: WebhookConfig | undefined): EventTarget {
  return webhookConfig !== undefined ? { kind: "uris", uris: webhookConfig.uris } : { kind: "subscribers" };
}

/** The deliveries an event fans out to: enabled, subscribed static webhooks, one webhook, or a request's URIs. */
export function planDeliveries(
  event: StoredEvent,
  target: EventTarget,
  webhooks: readonly Candidate[],
  now: number,
): PlannedDelivery[] {
  switch (target.kind) {
    case "uris":
      return [...new Set(target.uris)].map((uri) => newDelivery(event, { uri }, now));
    case "webhook":
      return webhooks
        .filter((w) => w.id === target.webhookId)
        .map((w) => newDelivery(event, { webhookId: w.id, uri: w.uri }, now, w));
    case "subscribers":
      return webhooks
        .filter(
          (w) =>
            w.state === "enabled" &&
            w.id !== target.excludeWebhookId &&
            subscriptionMatches(w.subscribedEvents, event.type),
        )
        .map((w) => newDelivery(event, { webhookId: w.id, uri: w.uri }, now, w));
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
    ...webhooks
      .filter((w) => w.state === "enabled" && previousWebhooks.has(w.id))
      .map((w) => newDelivery(event, { webhookId: w.id, uri: w.uri }, now, w)),
  ];
}

function newDelivery(event: StoredEvent, target: DeliveryTarget, now: number, routing?: Routing): PlannedDelivery {
  return {
    eventId: event.id,
    projectId: event.projectId,
    ...(target.webhookId !== undefined ? { webhookId: target.webhookId } : {}),
    uri: target.uri,
    endpointKey: endpointKey(target.webhookId, target.uri, routing),
    windowStartAt: event.createdAt,
    createdAt: now,
  };
}
