import type { BuiltInEventType } from "./event-types.js";
import { newEventId } from "./ids.js";

/** The body POSTed to receivers (DESIGN §3): a pointer and a status, never the output itself. */
interface EventEnvelope<T extends string, D> {
  type: T;
  version: "v1";
  timestamp: string;
  data: { id: string; user_metadata?: Record<string, unknown> } & D;
}

interface ErrorData {
  error_code: number;
  error_message: string;
}

export type BuiltInEvent =
  | EventEnvelope<"batch.succeeded", { output_file_uri: string }>
  | EventEnvelope<"batch.failed" | "interaction.failed", ErrorData>
  | EventEnvelope<"batch.cancelled" | "batch.expired" | "interaction.cancelled" | "interaction.completed", object>
  | EventEnvelope<"interaction.requires_action", { required_actions: { id: string; name: string; arguments: Record<string, unknown> }[] }>
  | EventEnvelope<"video.generated", { output_file_uri: string; file_name: string }>
  | EventEnvelope<"webhook.ping", { webhook_id: string }>
  | EventEnvelope<"webhook.disabled", { webhook_id: string; reason: string }>;

export type CustomEvent =
  | EventEnvelope<`${string}.succeeded`, { output_file_uri?: string }>
  | EventEnvelope<`${string}.failed`, ErrorData>
  | EventEnvelope<`${string}.cancelled` | `${string}.expired`, object>;

export type EventPayload = BuiltInEvent | CustomEvent;

/** An event as stored: its payload plus where it came from. Its id is the `webhook-id` of every delivery. */
export interface StoredEvent {
  id: string;
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

/** An event about to be written, with a fresh id (its `webhook-id`). */
export function newStoredEvent(projectId: string, payload: EventPayload, now: number, operation?: string): StoredEvent {
  return { id: newEventId(), projectId, type: payload.type, ...(operation !== undefined ? { operation } : {}), payload, createdAt: now };
}
