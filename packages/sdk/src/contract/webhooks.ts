/** Static webhooks (docs/wire.md: webhooks): snake_case, wire-compatible with `ai.webhooks.*` of @google/genai. */
import { Type, type Static } from "@sinclair/typebox";
import { Message, PageQuery, StringEnum, Timestamp } from "./common.js";
import { Delivery, DELIVERY_STATES } from "./deliveries.js";

export const WEBHOOK_STATES = ["enabled", "disabled", "disabled_due_to_failed_deliveries"] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

export const WEBHOOK_ORDERINGS = ["unordered", "fifo"] as const;
export type WebhookOrdering = (typeof WEBHOOK_ORDERINGS)[number];

/** The most a rate limit may say: past this the limit would be the engine's own pace anyway. */
export const MAX_RATE_LIMIT_PER_SECOND = 10_000;

const ordering = StringEnum(WEBHOOK_ORDERINGS, {
  description:
    "fifo: one delivery at a time, in the order the events committed; a failing one holds the rest back until it succeeds or fails for good",
});
const rateLimitPerSecond = Type.Integer({
  minimum: 1,
  maximum: MAX_RATE_LIMIT_PER_SECOND,
  description:
    "deliveries started per second at most; those beyond wait (they are not dropped, nor counted as failed); absent: unlimited",
});

/**
 * `v1`: HMAC-SHA256 under a shared `whsec_` secret; `v1a`: Ed25519, verified with a `whpk_` public key that cannot
 * forge.
 */
export const SIGNING_SCHEMES = ["v1", "v1a"] as const;
export type SigningScheme = (typeof SIGNING_SCHEMES)[number];

export const REVOCATION_BEHAVIORS = [
  "revoke_previous_secrets_after_h24",
  "revoke_previous_secrets_immediately",
] as const;
export type RevocationBehavior = (typeof REVOCATION_BEHAVIORS)[number];

const subscribedEvents = Type.Array(Type.String({ maxLength: 256 }), {
  maxItems: 100,
  description:
    'event types (batch.succeeded), custom ones ({type}.succeeded|failed|cancelled|expired), patterns (batch.*) or "*"',
});

export const SigningSecretInfo = Message({
  truncated_secret: Type.String({
    description: "whsec_...3frh; for a v1a key, the end of its public key (whpk_...3frh)",
  }),
  public_key: Type.Optional(
    Type.String({ description: "v1a only: whpk_ + base64 of the raw 32-byte Ed25519 public key" }),
  ),
  expire_time: Type.Optional(Timestamp("when it stops signing; absent for the current secret")),
});
export type SigningSecretInfo = Static<typeof SigningSecretInfo>;

const webhookFields = {
  id: Type.String({ description: "36 characters of [a-z0-9]" }),
  name: Type.String(),
  uri: Type.String(),
  subscribed_events: Type.Array(Type.String()),
  state: StringEnum(WEBHOOK_STATES),
  signing_scheme: StringEnum(SIGNING_SCHEMES, { description: "v1 (HMAC, the default) or v1a (Ed25519)" }),
  public_key: Type.Optional(
    Type.String({
      description:
        "v1a only: whpk_… (base64 of the raw 32-byte Ed25519 key) that verifies this webhook's deliveries now",
    }),
  ),
  signing_secrets: Type.Array(SigningSecretInfo),
  create_time: Timestamp(),
  update_time: Timestamp(),
  ordering,
  rate_limit_per_second: Type.Optional(rateLimitPerSecond),
};

export const Webhook = Message(webhookFields);
export type Webhook = Static<typeof Webhook>;

/**
 * The reply to create: the only time a v1 webhook's full signing secret is shown (a v1a one has `public_key` instead).
 */
export const CreatedWebhook = Message({
  ...webhookFields,
  new_signing_secret: Type.Optional(Type.String({ description: "v1 only, whsec_…: shown only now" })),
});
export type CreatedWebhook = Static<typeof CreatedWebhook>;

export const CreateWebhookRequest = Message({
  name: Type.Optional(Type.String({ maxLength: 256 })),
  uri: Type.String({ maxLength: 2048, description: "https URL that receives the events (http only in dev mode)" }),
  subscribed_events: subscribedEvents,
  ordering: Type.Optional(ordering),
  rate_limit_per_second: Type.Optional(rateLimitPerSecond),
  signing_scheme: Type.Optional(
    StringEnum(SIGNING_SCHEMES, {
      description: "v1 (default): HMAC under a secret shown once; v1a: Ed25519, the reply carries public_key",
    }),
  ),
});
export type CreateWebhookRequest = Static<typeof CreateWebhookRequest>;

export const UpdateWebhookRequest = Message({
  name: Type.Optional(Type.String({ maxLength: 256 })),
  uri: Type.Optional(Type.String({ maxLength: 2048 })),
  subscribed_events: Type.Optional(subscribedEvents),
  state: Type.Optional(StringEnum(WEBHOOK_STATES)),
  ordering: Type.Optional(ordering),
  rate_limit_per_second: Type.Optional(rateLimitPerSecond),
});
export type UpdateWebhookRequest = Static<typeof UpdateWebhookRequest>;

export const UpdateWebhookQuery = Message({
  update_mask: Type.Optional(
    Type.String({
      description:
        "comma-separated fields to update (name, uri, subscribed_events, state, ordering, rate_limit_per_second); default: those in the body; rate_limit_per_second named but absent: unlimited",
    }),
  ),
});
export type UpdateWebhookQuery = Static<typeof UpdateWebhookQuery>;

export const ListWebhooksQuery = Message({ ...PageQuery });
export type ListWebhooksQuery = Static<typeof ListWebhooksQuery>;

export const ListWebhooksResponse = Message({
  webhooks: Type.Array(Webhook),
  next_page_token: Type.Optional(Type.String()),
});
export type ListWebhooksResponse = Static<typeof ListWebhooksResponse>;

export const RotateSigningSecretRequest = Message({
  revocation_behavior: Type.Optional(
    StringEnum([...REVOCATION_BEHAVIORS, "REVOCATION_BEHAVIOR_UNSPECIFIED"] as const, {
      description: "revoke_previous_secrets_after_h24 (the default) keeps old secrets signing for 24 h",
    }),
  ),
});
export type RotateSigningSecretRequest = Static<typeof RotateSigningSecretRequest>;

export const RotateSigningSecretResponse = Message({
  secret: Type.Optional(Type.String({ description: "v1 webhooks: the new whsec_…, shown only now" })),
  public_key: Type.Optional(Type.String({ description: "v1a webhooks: the new whpk_… public key" })),
});
export type RotateSigningSecretResponse = Static<typeof RotateSigningSecretResponse>;

/** How a list of deliveries is ordered (AIP-132's `order_by`). */
export const DELIVERY_ORDERS = ["create_time", "create_time desc"] as const;

export const ListDeliveriesQuery = Message({
  state: Type.Optional(StringEnum(DELIVERY_STATES)),
  order_by: Type.Optional(
    StringEnum(DELIVERY_ORDERS, {
      description: "create_time (oldest first, the default) or create_time desc (newest first)",
    }),
  ),
  ...PageQuery,
});
export type ListDeliveriesQuery = Static<typeof ListDeliveriesQuery>;

export const ListDeliveriesResponse = Message({
  deliveries: Type.Array(Delivery),
  next_page_token: Type.Optional(Type.String()),
});
export type ListDeliveriesResponse = Static<typeof ListDeliveriesResponse>;

export const RecoverDeliveriesRequest = Message({
  since: Timestamp("re-queue failed deliveries created at or after this time"),
  until: Type.Optional(Timestamp("…and before this one (default: now)")),
});
export type RecoverDeliveriesRequest = Static<typeof RecoverDeliveriesRequest>;

export const RecoverDeliveriesResponse = Message({ recovered_count: Type.Integer() });
export type RecoverDeliveriesResponse = Static<typeof RecoverDeliveriesResponse>;
