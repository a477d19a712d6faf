/**
 * Every event Tidings delivers, as TypeBox: JSON Schema (draft 2020-12) for `GET /v1/eventTypes`
 * and for validating payloads, and, through `Static`, the TypeScript types of `@tidings/sdk`'s events
 * (`../events.ts`). One definition, so the catalogue, the SDK's types and what the server sends cannot drift:
 * the server's tests validate every payload they receive against these schemas.
 */
import { Type, type Static, type TObject, type TProperties, type TSchema } from "@sinclair/typebox";
import { FreeForm, Message, PageQuery, Timestamp } from "./common.js";

/** The common fields of every event's `data`. */
const dataBase = {
  id: Type.String({
    description:
      "what the official client fetches the resource with: batches/{id}, operations/{id}, the interaction id, …",
  }),
  user_metadata: Type.Optional(
    FreeForm<Record<string, unknown>>(
      "dynamic (webhook_config) deliveries only: the requester's user_metadata, exactly as given",
    ),
  ),
};

const failure = {
  error_code: Type.Integer({ description: "a google.rpc.Code number (13 INTERNAL, 4 DEADLINE_EXCEEDED, …)" }),
  error_message: Type.String(),
};

function envelope<T extends TSchema, D extends TProperties>(type: T, data: D, description: string) {
  return Type.Object(
    {
      type,
      version: Type.Literal("v1"),
      timestamp: Timestamp("when it happened, RFC 3339 UTC"),
      data: Message({ ...dataBase, ...data }),
    },
    { additionalProperties: false, description },
  );
}

/** A custom operation's event type: `{type}.{outcome}`, where `type` is the operation's own (`[a-z][a-z0-9_]*`). */
function customType<O extends string>(outcome: O) {
  return Type.Unsafe<`${string}.${O}`>({ type: "string", pattern: `^[a-z][a-z0-9_]*\\.${outcome}$` });
}

export const RequiredActionSchema = Message(
  {
    id: Type.String({ description: "answer with a function_result whose call_id is this" }),
    name: Type.String(),
    arguments: FreeForm<Record<string, unknown>>("the call's arguments, as the model gave them"),
  },
  { description: "a function call the interaction waits for" },
);

export const BatchSucceededEventSchema = envelope(
  Type.Literal("batch.succeeded"),
  { output_file_uri: Type.String({ description: "files/{id}: the JSONL output, one line per input" }) },
  "A batch finished: every request has a response or an error line in its output file.",
);
export const BatchFailedEventSchema = envelope(Type.Literal("batch.failed"), failure, "A batch failed as a whole.");
export const BatchCancelledEventSchema = envelope(
  Type.Literal("batch.cancelled"),
  {},
  "A batch was cancelled before it finished.",
);
export const BatchExpiredEventSchema = envelope(
  Type.Literal("batch.expired"),
  {},
  "A batch was still unfinished at its deadline (48 h unless ttl says).",
);
export const InteractionRequiresActionEventSchema = envelope(
  Type.Literal("interaction.requires_action"),
  { required_actions: Type.Array(RequiredActionSchema) },
  "A background interaction stopped for function results: continue it with previous_interaction_id and function_result inputs.",
);
export const InteractionCompletedEventSchema = envelope(
  Type.Literal("interaction.completed"),
  {},
  "A background interaction completed.",
);
export const InteractionFailedEventSchema = envelope(
  Type.Literal("interaction.failed"),
  failure,
  "A background interaction failed.",
);
export const InteractionCancelledEventSchema = envelope(
  Type.Literal("interaction.cancelled"),
  {},
  "A background interaction was cancelled.",
);
export const VideoGeneratedEventSchema = envelope(
  Type.Literal("video.generated"),
  {
    output_file_uri: Type.String({ description: "files/{id}: the clip" }),
    file_name: Type.String({ description: "files/{id}: the clip, as ai.files.get takes it" }),
    video_uri: Type.String({
      description: "the URL that downloads the clip (with the API key header), as the operation's video.uri",
    }),
  },
  "A video generation finished; its clip is a file of the project.",
);
export const VideoFailedEventSchema = envelope(Type.Literal("video.failed"), failure, "A video generation failed.");
export const WebhookPingEventSchema = envelope(
  Type.Literal("webhook.ping"),
  { webhook_id: Type.String() },
  "Sent by POST /v1/webhooks/{id}:ping to that webhook alone, whatever it subscribes to.",
);
export const WebhookDisabledEventSchema = envelope(
  Type.Literal("webhook.disabled"),
  { webhook_id: Type.String(), reason: Type.String() },
  "A webhook was disabled (410 Gone, or 24 h without a success): sent to the project's other webhooks subscribed to it.",
);
export const CustomSucceededEventSchema = envelope(
  customType("succeeded"),
  { output_file_uri: Type.Optional(Type.String({ description: "as :complete gave it" })) },
  "A custom operation of type {type} completed (POST /v1/operations/{id}:complete).",
);
export const CustomFailedEventSchema = envelope(
  customType("failed"),
  failure,
  "A custom operation of type {type} failed (POST /v1/operations/{id}:fail).",
);
export const CustomCancelledEventSchema = envelope(
  customType("cancelled"),
  {},
  "A custom operation of type {type} was cancelled.",
);
export const CustomExpiredEventSchema = envelope(
  customType("expired"),
  {},
  "A custom operation of type {type} was still running at its expire_time.",
);

/** One entry of the catalogue: `{type}.…` names the custom family. */
export interface EventTypeEntry {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** The JSON Schema document of an event's payload, as the catalogue serves it. */
function document(name: string, schema: TObject): Record<string, unknown> {
  return { $schema: "https://json-schema.org/draft/2020-12/schema", title: name, ...schema };
}

const entry = (name: string, schema: TObject): EventTypeEntry => ({
  name,
  description: schema.description ?? "",
  schema: document(name, schema),
});

/** Every event type Tidings sends, built-in first, then the custom operations' family. */
export const EVENT_TYPE_CATALOGUE: readonly EventTypeEntry[] = Object.freeze([
  entry("batch.succeeded", BatchSucceededEventSchema),
  entry("batch.failed", BatchFailedEventSchema),
  entry("batch.cancelled", BatchCancelledEventSchema),
  entry("batch.expired", BatchExpiredEventSchema),
  entry("interaction.requires_action", InteractionRequiresActionEventSchema),
  entry("interaction.completed", InteractionCompletedEventSchema),
  entry("interaction.failed", InteractionFailedEventSchema),
  entry("interaction.cancelled", InteractionCancelledEventSchema),
  entry("video.generated", VideoGeneratedEventSchema),
  entry("video.failed", VideoFailedEventSchema),
  entry("webhook.ping", WebhookPingEventSchema),
  entry("webhook.disabled", WebhookDisabledEventSchema),
  entry("{type}.succeeded", CustomSucceededEventSchema),
  entry("{type}.failed", CustomFailedEventSchema),
  entry("{type}.cancelled", CustomCancelledEventSchema),
  entry("{type}.expired", CustomExpiredEventSchema),
]);

/** The wire messages of `GET /v1/eventTypes` and `GET /v1/eventTypes/{name}`. */
export const EventType = Message({
  name: Type.String({
    description: "batch.succeeded, …; {type}.succeeded and its siblings name a custom operation's events",
  }),
  description: Type.String(),
  schema: FreeForm("JSON Schema (draft 2020-12) of the payload as delivered"),
});
export type EventType = Static<typeof EventType>;

export const ListEventTypesQuery = Message({ ...PageQuery });
export type ListEventTypesQuery = Static<typeof ListEventTypesQuery>;

export const ListEventTypesResponse = Message({
  event_types: Type.Array(EventType),
  next_page_token: Type.Optional(Type.String()),
});
export type ListEventTypesResponse = Static<typeof ListEventTypesResponse>;

export const EventTypeParams = Message({
  name: Type.String({
    minLength: 1,
    maxLength: 128,
    description: "an event type (batch.succeeded, export.succeeded) or a family ({type}.succeeded)",
  }),
});
export type EventTypeParams = Static<typeof EventTypeParams>;
