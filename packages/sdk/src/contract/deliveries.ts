/** Deliveries and their attempts: the record of what was sent where (docs/wire.md: webhooks, events). */
import { Type, type Static } from "@sinclair/typebox";
import { Message, StringEnum, Timestamp } from "./common.js";

export const DELIVERY_STATES = ["pending", "succeeded", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** One HTTP POST of a delivery. */
export const DeliveryAttempt = Message({
  attempt_number: Type.Integer(),
  start_time: Timestamp(),
  status_code: Type.Optional(Type.Integer()),
  latency_ms: Type.Number(),
  error: Type.Optional(Type.String()),
  response_excerpt: Type.Optional(Type.String()),
  request_headers: Type.Record(Type.String(), Type.String(), {
    description:
      "the headers sent, rebuilt from the attempt: the signature is not kept (an HMAC or JWT over the webhook-id, the timestamp and the body)",
  }),
});
export type DeliveryAttempt = Static<typeof DeliveryAttempt>;

/** One event bound for one target. */
export const Delivery = Message({
  id: Type.String(),
  event_id: Type.String({ description: "the event's id, also its webhook-id header" }),
  webhook_id: Type.Optional(Type.String({ description: "absent for dynamic (webhook_config) targets" })),
  uri: Type.String(),
  state: StringEnum(DELIVERY_STATES),
  attempt_count: Type.Integer(),
  next_attempt_time: Type.Optional(Timestamp("when a pending delivery is next tried")),
  last_status_code: Type.Optional(Type.Integer()),
  last_error: Type.Optional(Type.String()),
  create_time: Timestamp(),
  update_time: Timestamp(),
  attempts: Type.Array(DeliveryAttempt),
});
export type Delivery = Static<typeof Delivery>;
