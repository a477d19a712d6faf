import type { WebhookEvent } from "@tidings/sdk";
import { toRfc3339 } from "./clock.js";
import type { BuiltInEventType } from "./event-types.js";

/**
 * The body POSTed to receivers (docs/wire.md: the event): a pointer and a status, never the output itself. Its types
 * are
 * the SDK's, so what the server sends and what receivers type-check against are one definition.
 */
export type EventPayload = WebhookEvent;

/** An event's `data` while it is built: the pointer every event has, and what its type adds. */
export type EventData = { id: string } & Record<string, unknown>;

/** An event's payload at `now`, in the one envelope version Tidings sends (docs/wire.md: the event). */
export function eventPayload(type: string, data: EventData, now: number): EventPayload {
  return { type, version: "v1", timestamp: toRfc3339(now), data } as EventPayload;
}

/** An event as stored: its payload plus where it came from. Its id is the `webhook-id` of every delivery. */
export interface StoredEvent extends NewEvent {
  /** Given by the store when it writes the event (core/ids.ts: eventId). */
  id: string;
}

/** An event about to be written, in the transaction of the state change that caused it. */
export interface NewEvent {
  projectId: string;
  type: BuiltInEventType | string;
  /** The operation's resource name (`operations/…`), absent for webhook.* events. */
  operation?: string;
  payload: EventPayload;
  createdAt: number;
}

/** Where an event goes: the project's subscribed static webhooks, one webhook, or a request's own URIs. */
export type EventTarget =
  | { kind: "subscribers"; excludeWebhookId?: string }
  | { kind: "webhook"; webhookId: string }
  | { kind: "uris"; uris: string[] };

export function newEvent(projectId: string, payload: EventPayload, now: number, operation?: string): NewEvent {
  return { projectId, type: payload.type, ...(operation !== undefined ? { operation } : {}), payload, createdAt: now };
}

/** Each payload's JSON, made once: the same text is stored, signed and sent (and streamed to live listeners). */
const payloadTexts = new WeakMap<EventPayload, string>();

/**
 * An event's payload as JSON text. The store writes it in the event's row and the outbox sends it as the body:
 * serialized once per event, not once for each (issue 16: CPU per event). Payloads are never changed once built.
 */
export function payloadJson(payload: EventPayload): string {
  let text = payloadTexts.get(payload);
  if (text === undefined) {
    text = JSON.stringify(payload);
    payloadTexts.set(payload, text);
  }
  return text;
}
