/** Gemini's Batch API (docs/wire.md: batches): camelCase, as @google/genai sends and reads it. */
import { Type, type Static } from "@sinclair/typebox";
import {
  Duration,
  FreeForm,
  GeminiPageQuery,
  Int64String,
  Message,
  OpenMessage,
  StringEnum,
  Timestamp,
} from "./common.js";
import { GenerateContentResponse } from "./models.js";
import { OperationError } from "./operations.js";

export const BATCH_STATES = [
  "BATCH_STATE_PENDING",
  "BATCH_STATE_RUNNING",
  "BATCH_STATE_SUCCEEDED",
  "BATCH_STATE_FAILED",
  "BATCH_STATE_CANCELLED",
  "BATCH_STATE_EXPIRED",
] as const;
export type BatchState = (typeof BATCH_STATES)[number];

/** Gemini's spelling of a request's own targets (Tidings' own resources say `user_metadata`). */
export const GeminiWebhookConfig = Message({
  uris: Type.Array(Type.String({ maxLength: 2048 }), {
    description: "https URLs that receive this batch's events (at most 10)",
  }),
  userMetadata: Type.Optional(FreeForm("sent back verbatim in each event's data.user_metadata")),
});
export type GeminiWebhookConfig = Static<typeof GeminiWebhookConfig>;

export const InlinedRequest = Message({
  request: Type.Optional(
    FreeForm(
      "a GenerateContentRequest, kept as given and checked when the batch runs: a bad one becomes an error line",
    ),
  ),
  metadata: Type.Optional(FreeForm("yours; metadata.key names the line in the output (default: its position)")),
});

export const BatchGenerateContentRequest = Message({
  batch: Message({
    displayName: Type.Optional(Type.String({ maxLength: 512 })),
    inputConfig: Type.Optional(
      Message({
        fileName: Type.Optional(
          Type.String({ description: 'an uploaded JSONL file, files/{id}: one {"key", "request"} per line' }),
        ),
        requests: Type.Optional(Message({ requests: Type.Optional(Type.Array(InlinedRequest)) })),
      }),
    ),
    webhookConfig: Type.Optional(GeminiWebhookConfig),
    ttl: Type.Optional(
      Duration('Tidings extension: the deadline, e.g. "3600s" (default 48 h); past it the batch is EXPIRED'),
    ),
  }),
});
export type BatchGenerateContentRequest = Static<typeof BatchGenerateContentRequest>;

export const InlinedResponse = Message({
  response: Type.Optional(GenerateContentResponse),
  error: Type.Optional(
    OpenMessage({ code: Type.Integer(), message: Type.String(), status: Type.Optional(Type.String()) }),
  ),
  metadata: FreeForm("the request's metadata: {key}"),
});

export const BatchOutput = Message({
  responsesFile: Type.Optional(Type.String({ description: "files/{id}: the JSONL output, one line per input line" })),
  inlinedResponses: Type.Optional(Message({ inlinedResponses: Type.Array(InlinedResponse) })),
});

export const BatchStats = Message({
  requestCount: Int64String(),
  successfulRequestCount: Int64String(),
  failedRequestCount: Int64String(),
  pendingRequestCount: Int64String(),
});

/** google.ai.generativelanguage.v1beta.GenerateContentBatch, an operation's metadata. */
export const GenerateContentBatch = Message({
  "@type": Type.String(),
  name: Type.String({ description: "batches/{id}" }),
  model: Type.String(),
  displayName: Type.String(),
  state: StringEnum(BATCH_STATES),
  createTime: Timestamp(),
  updateTime: Timestamp(),
  endTime: Type.Optional(Timestamp()),
  batchStats: BatchStats,
  inputConfig: Type.Optional(Message({ fileName: Type.String() })),
  output: Type.Optional(BatchOutput),
});
export type GenerateContentBatch = Static<typeof GenerateContentBatch>;

export const BatchOperation = Message(
  {
    name: Type.String({ description: "batches/{id}" }),
    metadata: GenerateContentBatch,
    done: Type.Boolean(),
    error: Type.Optional(OperationError),
    response: Type.Optional(
      Message({
        "@type": Type.String(),
        responsesFile: Type.Optional(Type.String()),
        inlinedResponses: Type.Optional(Message({ inlinedResponses: Type.Array(InlinedResponse) })),
      }),
    ),
  },
  { description: "google.longrunning.Operation whose metadata is the GenerateContentBatch" },
);
export type BatchOperation = Static<typeof BatchOperation>;

export const ListBatchesQuery = Message({ ...GeminiPageQuery });
export type ListBatchesQuery = Static<typeof ListBatchesQuery>;

export const ListBatchesResponse = Message({
  operations: Type.Array(BatchOperation),
  nextPageToken: Type.Optional(Type.String()),
});
export type ListBatchesResponse = Static<typeof ListBatchesResponse>;
