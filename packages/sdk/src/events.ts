/**
 * The event payload that Tidings delivers (docs/wire.md: the event). Thin by design: a pointer (`data.id`) and a
 * status, never the output itself. The types come from the schemas of `contract/event-types.ts`, which
 * `GET /v1/eventTypes` serves: one definition for both.
 */
import type { Static } from "@sinclair/typebox";
// Types only: the schemas (and TypeBox) stay out of the verify bundle's run time.
import type * as Schemas from "./contract/event-types.js";

/** Fields every event's `data` carries. */
export interface EventDataBase {
  /** What the official client takes to fetch the resource: `batches/{id}`, `operations/{id}`, … */
  id: string;
  /** Present on dynamic (webhook_config) deliveries, exactly as the requester gave it. */
  user_metadata?: Record<string, unknown>;
}

export interface FailureData {
  /** A google.rpc.Code number (13 INTERNAL, 4 DEADLINE_EXCEEDED, …), as the server sends it. */
  error_code: number;
  error_message: string;
}

/** A function call an interaction waits for: answer it with a `function_result` whose `call_id` is `id`. */
export type RequiredAction = Static<typeof Schemas.RequiredActionSchema>;

export type BatchSucceededEvent = Static<typeof Schemas.BatchSucceededEventSchema>;
export type BatchFailedEvent = Static<typeof Schemas.BatchFailedEventSchema>;
export type BatchCancelledEvent = Static<typeof Schemas.BatchCancelledEventSchema>;
export type BatchExpiredEvent = Static<typeof Schemas.BatchExpiredEventSchema>;
export type InteractionRequiresActionEvent = Static<typeof Schemas.InteractionRequiresActionEventSchema>;
export type InteractionCompletedEvent = Static<typeof Schemas.InteractionCompletedEventSchema>;
export type InteractionFailedEvent = Static<typeof Schemas.InteractionFailedEventSchema>;
export type InteractionCancelledEvent = Static<typeof Schemas.InteractionCancelledEventSchema>;
export type VideoGeneratedEvent = Static<typeof Schemas.VideoGeneratedEventSchema>;
/**
 * Tidings' addition to Gemini's events (docs/wire.md: departures from Gemini): a generation that failed is announced
 * too, not only shown on its operation.
 */
export type VideoFailedEvent = Static<typeof Schemas.VideoFailedEventSchema>;
export type WebhookPingEvent = Static<typeof Schemas.WebhookPingEventSchema>;
export type WebhookDisabledEvent = Static<typeof Schemas.WebhookDisabledEventSchema>;

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

/** A custom family's event with its `type` narrowed to the declared operation types `C`. */
type OfType<E, T extends string> = { [K in keyof E]: K extends "type" ? T : E[K] };

/** Events of custom operations run by the user's own workers (docs/wire.md: operations), `{custom}.succeeded` etc. */
export type CustomSucceededEvent<C extends string = string> = OfType<
  Static<typeof Schemas.CustomSucceededEventSchema>,
  `${C}.succeeded`
>;
export type CustomFailedEvent<C extends string = string> = OfType<
  Static<typeof Schemas.CustomFailedEventSchema>,
  `${C}.failed`
>;
export type CustomCancelledEvent<C extends string = string> = OfType<
  Static<typeof Schemas.CustomCancelledEventSchema>,
  `${C}.cancelled`
>;
export type CustomExpiredEvent<C extends string = string> = OfType<
  Static<typeof Schemas.CustomExpiredEventSchema>,
  `${C}.expired`
>;

export type CustomEvent<C extends string = string> =
  | CustomSucceededEvent<C>
  | CustomFailedEvent<C>
  | CustomCancelledEvent<C>
  | CustomExpiredEvent<C>;

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

/** Every built-in event type (docs/wire.md: the event): the one list the server validates subscriptions against. */
export const BUILT_IN_EVENT_TYPES: readonly BuiltInEventType[] = Object.freeze(
  Object.keys(BUILT_IN) as BuiltInEventType[],
);

/** The outcomes a custom operation ends in; each is an event type `{type}.{outcome}`. */
export const CUSTOM_EVENT_OUTCOMES = ["succeeded", "failed", "cancelled", "expired"] as const;

export function isBuiltInEvent(event: { type: string }): event is BuiltInEvent {
  return Object.hasOwn(BUILT_IN, event.type);
}
