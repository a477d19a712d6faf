/**
 * Building blocks of the wire contract (docs/wire.md: where the contract lives). Every request and response schema is
 * written once, with
 * TypeBox, and serves three readers: the server validates and serializes with it and publishes it as
 * OpenAPI, and this SDK's types are `Static<typeof …>` of it.
 *
 * Conventions the server relies on:
 * - a message is `Message(…)`: an object with `properties` and `additionalProperties: false`; each property
 *   name is the canonical spelling, and the server also accepts the other proto3 JSON spelling
 *   (`webhook_config` ⇄ `webhookConfig`);
 * - a free-form map (`FreeForm`) has no `properties`: whatever keys it is given are kept as they are;
 * - timestamps are `format: "date-time"` (RFC 3339), durations `format: "google-duration"` (`"3600s"`).
 */
import { Type, type Static, type TProperties, type ObjectOptions, type SchemaOptions } from "@sinclair/typebox";

/** A proto message: exactly these fields, nothing else. */
export function Message<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/**
 * A message that also carries keys of its own choosing next to the declared ones (a custom operation's
 * metadata holds the caller's `metadata` beside `type` and `state`; a model reply passed through from
 * upstream may hold fields added after this schema). Responses only.
 */
export function OpenMessage<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { ...options, additionalProperties: true });
}

/** A JSON object whose keys belong to the caller (google.protobuf.Struct): kept verbatim, never renamed or refused. */
export function FreeForm<T = Record<string, unknown>>(description: string) {
  return Type.Unsafe<T>({ type: "object", additionalProperties: true, description });
}

/** A string enum; the server's errors list these values when another one is sent. */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ ...options, type: "string", enum: [...values] });
}

/** google.protobuf.Timestamp: an RFC 3339 string such as `2026-05-04T12:00:00Z`. Anything else is a 400. */
export function Timestamp(description = 'RFC 3339, e.g. "2026-05-04T12:00:00Z"') {
  return Type.String({ format: "date-time", description });
}

/** google.protobuf.Duration: seconds with an `s`, such as `"3600s"` or `"1.5s"`. */
export function Duration(description: string) {
  return Type.String({ format: "google-duration", description });
}

/** An int64 field, which proto3 JSON writes as a decimal string (Gemini's `sizeBytes`, `batchStats`). */
export function Int64String(description?: string) {
  return Type.String({ pattern: "^-?[0-9]+$", ...(description !== undefined ? { description } : {}) });
}

export const PAGE_SIZE_MAX = 1000;

/** `page_size` and `page_token` on Tidings' own lists. */
export const PageQuery = {
  page_size: Type.Optional(Type.Integer({ minimum: 0, maximum: PAGE_SIZE_MAX, description: "default 50" })),
  page_token: Type.Optional(Type.String({ description: "next_page_token of the previous page" })),
};

/** `pageSize` and `pageToken` on the Gemini-compatible lists, as @google/genai sends them. */
export const GeminiPageQuery = {
  pageSize: Type.Optional(Type.Integer({ minimum: 0, maximum: PAGE_SIZE_MAX, description: "default 50" })),
  pageToken: Type.Optional(Type.String({ description: "nextPageToken of the previous page" })),
};

/** A request or reply with no fields. */
export const Empty = Message({});
export type Empty = Static<typeof Empty>;

/** `{id}` in a path. */
export const IdParams = Message({ id: Type.String({ minLength: 1, maxLength: 128 }) });
export type IdParams = Static<typeof IdParams>;

/**
 * `details` entries of a google.rpc.Status: google.rpc.BadRequest (`fieldViolations`: the field to fix), and for
 * a limit reached google.rpc.QuotaFailure (`violations`: the limit) and google.rpc.ErrorInfo (`reason`, e.g.
 * `WEBHOOKS_PER_PROJECT`, with the setting in `metadata.limit`).
 */
export const StatusDetail = OpenMessage(
  {
    "@type": Type.String(),
    fieldViolations: Type.Optional(Type.Array(Message({ field: Type.String(), description: Type.String() }))),
    violations: Type.Optional(Type.Array(Message({ subject: Type.String(), description: Type.String() }))),
    reason: Type.Optional(Type.String()),
    domain: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { description: "google.rpc.BadRequest, QuotaFailure, ErrorInfo and other google.rpc error details" },
);

/** The error body of every non-2xx reply. */
export const RpcStatus = Message(
  {
    error: Message({
      code: Type.Integer({ description: "the HTTP status" }),
      message: Type.String(),
      status: Type.String({ description: "INVALID_ARGUMENT, NOT_FOUND, …" }),
      details: Type.Optional(Type.Array(StatusDetail)),
    }),
  },
  { description: "google.rpc.Status" },
);
export type RpcStatus = Static<typeof RpcStatus>;

/** `response` entries for the error replies, to spread into a route's response map. */
export const ErrorResponses = { "4xx": RpcStatus, "5xx": RpcStatus } as const;
