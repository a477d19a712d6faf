/**
 * google.longrunning.Operation, the polling surface (camelCase, docs/wire.md: operations), and custom operations that
 * users' own workers run (their requests are Tidings' own: snake_case).
 */
import { Type, type Static } from "@sinclair/typebox";
import { FreeForm, Message, OpenMessage, Timestamp } from "./common.js";

export const OPERATION_STATES = ["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"] as const;

/** google.rpc.Status as an operation's `error`. */
export const OperationError = Message({
  code: Type.Integer({ description: "a google.rpc.Code number (2 UNKNOWN, 13 INTERNAL, …)" }),
  message: Type.String(),
});
export type OperationError = Static<typeof OperationError>;

/** A request's own targets, which replace the project's static webhooks for its events. */
export const WebhookConfig = Message({
  uris: Type.Array(Type.String({ maxLength: 2048 }), {
    description: "https URLs that receive this request's events (at most 10)",
  }),
  user_metadata: Type.Optional(FreeForm("sent back verbatim in each event's data.user_metadata")),
});
export type WebhookConfig = Static<typeof WebhookConfig>;

/** A custom operation's metadata: what the caller gave as `metadata`, plus these fields. */
export const CustomOperationMetadata = OpenMessage(
  {
    type: Type.String(),
    state: Type.Unsafe<(typeof OPERATION_STATES)[number]>({ type: "string", enum: [...OPERATION_STATES] }),
    createTime: Timestamp(),
    updateTime: Timestamp(),
    expireTime: Type.Optional(Timestamp()),
  },
  { description: "the caller's metadata, with type, state and times added" },
);

export const Operation = Message(
  {
    name: Type.String({ description: "operations/{id}" }),
    metadata: CustomOperationMetadata,
    done: Type.Boolean(),
    error: Type.Optional(OperationError),
    response: Type.Optional(FreeForm("what :complete was given as response, plus outputFileUri")),
  },
  { description: "google.longrunning.Operation" },
);
export type Operation = Static<typeof Operation>;

export const CreateOperationRequest = Message({
  type: Type.String({
    description: "[a-z][a-z0-9_]*, not batch, interaction, video or webhook; events are {type}.succeeded etc.",
  }),
  metadata: Type.Optional(FreeForm("yours: shown back in the operation's metadata")),
  expire_time: Type.Optional(Timestamp("past it, the operation ends as {type}.expired")),
  webhook_config: Type.Optional(WebhookConfig),
});
export type CreateOperationRequest = Static<typeof CreateOperationRequest>;

export const CompleteOperationRequest = Message({
  response: Type.Optional(FreeForm("the result, shown in the operation's response")),
  output_file_uri: Type.Optional(
    Type.String({ maxLength: 2048, description: "sent in the event as data.output_file_uri" }),
  ),
});
export type CompleteOperationRequest = Static<typeof CompleteOperationRequest>;

export const FailOperationRequest = Message({
  error: Message({
    code: Type.Optional(Type.Integer({ description: "a google.rpc.Code number; default 2 (UNKNOWN)" })),
    message: Type.String({ minLength: 1, maxLength: 4096, description: "what went wrong" }),
  }),
});
export type FailOperationRequest = Static<typeof FailOperationRequest>;
