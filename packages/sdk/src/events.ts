/**
 * The event payload that Tidings delivers (DESIGN §3). Thin by design: a pointer (`data.id`) and a
 * status, never the output itself.
 */

/** Fields every event's `data` carries. */
export interface EventDataBase {
  /** What the official client takes to fetch the resource: `batches/{id}`, `operations/{id}`, … */
  id: string;
  /** Present on dynamic (webhook_config) deliveries, exactly as the requester gave it. */
  user_metadata?: Record<string, unknown>;
}

interface Envelope<T extends string, D extends object> {
  type: T;
  version: "v1";
  /** RFC 3339 UTC time at which the event happened. */
  timestamp: string;
  data: EventDataBase & D;
}

/** `data` of events that carry only the common fields. */
type EmptyData = Record<never, never>;

export interface FailureData {
  /** A google.rpc.Code number (13 INTERNAL, 4 DEADLINE_EXCEEDED, …), as the server sends it. */
  error_code: number;
  error_message: string;
}

/** A function call an interaction waits for: answer it with a `function_result` whose `call_id` is `id`. */
export interface RequiredAction {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type BatchSucceededEvent = Envelope<"batch.succeeded", { output_file_uri: string }>;
export type BatchFailedEvent = Envelope<"batch.failed", FailureData>;
export type BatchCancelledEvent = Envelope<"batch.cancelled", EmptyData>;
export type BatchExpiredEvent = Envelope<"batch.expired", EmptyData>;
export type InteractionRequiresActionEvent = Envelope<"interaction.requires_action", { required_actions: RequiredAction[] }>;
export type InteractionCompletedEvent = Envelope<"interaction.completed", EmptyData>;
export type InteractionFailedEvent = Envelope<"interaction.failed", FailureData>;
export type InteractionCancelledEvent = Envelope<"interaction.cancelled", EmptyData>;
export type VideoGeneratedEvent = Envelope<"video.generated", { output_file_uri: string; file_name: string; video_uri: string }>;
/** Tidings' addition to DESIGN §3: a generation that failed is announced too, not only shown on its operation. */
export type VideoFailedEvent = Envelope<"video.failed", FailureData>;
export type WebhookPingEvent = Envelope<"webhook.ping", { webhook_id: string }>;
export type WebhookDisabledEvent = Envelope<"webhook.disabled", { webhook_id: string; reason: string }>;

export type BuiltInEvent =
  | BatchSucceededEvent
  | BatchFailedEvent
  | BatchCancelledEvent
  | BatchExpiredEvent
  | InteractionRequiresActionEvent
  | InteractionCompletedEvent
  | InteractionFailedEvent
  | InteractionCancelledEvent
  | VideoGeneratedEvent
  | VideoFailedEvent
  | WebhookPingEvent
  | WebhookDisabledEvent;

export type BuiltInEventType = BuiltInEvent["type"];

/** Events of custom operations run by the user's own workers (DESIGN §2.6), `{custom}.succeeded` etc. */
export type CustomSucceededEvent<C extends string = string> = Envelope<`${C}.succeeded`, { output_file_uri?: string; response?: unknown }>;
export type CustomFailedEvent<C extends string = string> = Envelope<`${C}.failed`, FailureData>;
export type CustomCancelledEvent<C extends string = string> = Envelope<`${C}.cancelled`, EmptyData>;
export type CustomExpiredEvent<C extends string = string> = Envelope<`${C}.expired`, EmptyData>;

export type CustomEvent<C extends string = string> = CustomSucceededEvent<C> | CustomFailedEvent<C> | CustomCancelledEvent<C> | CustomExpiredEvent<C>;

/**
 * Every event Tidings can deliver, discriminated on `type`.
 *
 * `C` names your custom operation types. With the default (`string`) a template type such as
 * `` `${string}.succeeded` `` also matches `"batch.succeeded"`, so TypeScript keeps the custom member
 * after `e.type === "batch.succeeded"` and `e.data.output_file_uri` is `string | undefined`. Declare
 * your own types (`WebhookEvent<"render" | "transcode">`, or `verifyWebhook<"render">(…)`) or use
 * {@link isEventType} to get exact narrowing. (A type that excludes only the reserved prefixes needs a
 * union of thousands of templates; the compiler gives up on it, so we don't try.)
 */
export type WebhookEvent<C extends string = string> = BuiltInEvent | CustomEvent<C>;

export type WebhookEventType<C extends string = string> = WebhookEvent<C>["type"];

/** The exact event type for a given `type` string: built-in ones first, then the custom families. */
export type EventOfType<T extends string> = T extends BuiltInEventType
  ? Extract<BuiltInEvent, { type: T }>
  : T extends `${infer C}.succeeded`
    ? CustomSucceededEvent<C>
    : T extends `${infer C}.failed`
      ? CustomFailedEvent<C>
      : T extends `${infer C}.cancelled`
        ? CustomCancelledEvent<C>
        : T extends `${infer C}.expired`
          ? CustomExpiredEvent<C>
          : never;

/** Type guard with exact narrowing, also for built-in types under the default `WebhookEvent`. */
export function isEventType<T extends string>(event: { type: string }, type: T): event is EventOfType<T> {
  return event.type === type;
}

/** Each built-in type once; a `Record` over the union, so the compiler refuses a missing or unknown one. */
const BUILT_IN: Record<BuiltInEventType, true> = {
  "batch.succeeded": true,
  "batch.failed": true,
  "batch.cancelled": true,
  "batch.expired": true,
  "interaction.requires_action": true,
  "interaction.completed": true,
  "interaction.failed": true,
  "interaction.cancelled": true,
  "video.generated": true,
  "video.failed": true,
  "webhook.ping": true,
  "webhook.disabled": true,
};

/** Every built-in event type (DESIGN §3): the one list the server validates subscriptions against. */
export const BUILT_IN_EVENT_TYPES: readonly BuiltInEventType[] = Object.freeze(Object.keys(BUILT_IN) as BuiltInEventType[]);

/** The outcomes a custom operation ends in; each is an event type `{type}.{outcome}`. */
export const CUSTOM_EVENT_OUTCOMES = ["succeeded", "failed", "cancelled", "expired"] as const;

export function isBuiltInEvent(event: { type: string }): event is BuiltInEvent {
  return Object.hasOwn(BUILT_IN, event.type);
}
