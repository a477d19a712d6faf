/** The events log and redelivery (docs/wire.md: events, the event): snake_case. */
import { Type, type Static } from "@sinclair/typebox";
import type { WebhookEvent } from "../events.js";
import { FreeForm, Message, PageQuery, Timestamp } from "./common.js";
import { Delivery } from "./deliveries.js";

/** The event exactly as delivered: `{type, version, timestamp, data}`. */
export const EventPayload = Type.Unsafe<WebhookEvent>(
  Message({
    type: Type.String(),
    version: Type.String(),
    timestamp: Timestamp(),
    data: FreeForm("id (what the client fetches the resource with) and the type's fields (docs/wire.md: the event)"),
  }),
);

export const EventRecord = Message({
  id: Type.String({ description: "msg_…: the same value receivers see as webhook-id" }),
  type: Type.String(),
  operation: Type.Optional(Type.String({ description: "the operation's name: operations/{id}, batches/{id}" })),
  create_time: Timestamp(),
  payload: EventPayload,
  deliveries: Type.Optional(Type.Array(Delivery, { description: "only on GET /v1/events/{id}" })),
});
export type EventRecord = Static<typeof EventRecord>;

export const ListEventsQuery = Message({
  type: Type.Optional(Type.String({ description: "an exact event type" })),
  operation: Type.Optional(Type.String({ description: "an operation name, e.g. operations/abc or batches/xyz" })),
  ...PageQuery,
});
export type ListEventsQuery = Static<typeof ListEventsQuery>;

export const ListEventsResponse = Message({
  events: Type.Array(EventRecord),
  next_page_token: Type.Optional(Type.String()),
});
export type ListEventsResponse = Static<typeof ListEventsResponse>;

export const RedeliverEventRequest = Message({
  webhook_id: Type.Optional(Type.String({ description: "only to this webhook; default: every target it had" })),
});
export type RedeliverEventRequest = Static<typeof RedeliverEventRequest>;

export const RedeliverEventResponse = Message({ delivery_count: Type.Integer() });
export type RedeliverEventResponse = Static<typeof RedeliverEventResponse>;
