import type { Batch, BatchLine, BatchState } from "../core/batches.js";
import type { Operation, OperationState } from "../core/operations.js";
import type { Project } from "../core/projects.js";
import type { SigningScheme, WebhookState } from "../core/webhooks.js";
import { ms, num, optMs, optNum } from "./sql/db.js";
import type { SigningKeyRecord, WebhookRecord } from "./store.js";

/** Row shapes shared by the SQL drivers, and their mapping to domain types. */
type Nullable<T> = T | null;
type Millis = number | string;

/** A JSON TEXT column read back; NULL is absent. */
export const optJson = <T>(value: Nullable<string>): T | undefined =>
  value === null ? undefined : (JSON.parse(value) as T);
const opt = <T>(value: Nullable<T>): T | undefined => (value === null ? undefined : value);

export interface ProjectRow {
  id: string;
  display_name: string;
  is_default: number | boolean;
  created_at: Millis;
  retention_ms: Nullable<Millis>;
}
export const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  displayName: r.display_name,
  isDefault: Boolean(r.is_default),
  createdAt: num(r.created_at),
  ...(r.retention_ms !== null && r.retention_ms !== undefined ? { retentionMs: num(r.retention_ms) } : {}),
});

export interface WebhookRow {
  id: string;
  project_id: string;
  name: string;
  uri: string;
  subscribed_events: string;
  state: string;
  signing_scheme: string;
  sealed_secrets: string;
  created_at: Millis;
  updated_at: Millis;
  last_success_at: Nullable<Millis>;
  ordering: Nullable<string>;
  rate_limit_per_second: Nullable<number>;
}
export const toWebhook = (r: WebhookRow): WebhookRecord => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  uri: r.uri,
  subscribedEvents: JSON.parse(r.subscribed_events) as string[],
  state: r.state as WebhookState,
  signingScheme: r.signing_scheme as SigningScheme,
  sealedSecrets: r.sealed_secrets,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
  lastSuccessAt: optNum(r.last_success_at),
  ...(r.ordering === "fifo" ? { ordering: "fifo" as const } : {}),
  ...(r.rate_limit_per_second !== null && r.rate_limit_per_second !== undefined
    ? { rateLimitPerSecond: Number(r.rate_limit_per_second) }
    : {}),
});
export const webhookParams = (w: WebhookRecord) => ({
  id: w.id,
  project_id: w.projectId,
  name: w.name,
  uri: w.uri,
  subscribed_events: JSON.stringify(w.subscribedEvents),
  state: w.state,
  signing_scheme: w.signingScheme,
  sealed_secrets: w.sealedSecrets,
  created_at: ms(w.createdAt),
  updated_at: ms(w.updatedAt),
  last_success_at: optMs(w.lastSuccessAt),
  ordering: w.ordering === "fifo" ? "fifo" : null,
  rate_limit_per_second: w.rateLimitPerSecond ?? null,
});

export interface OperationRow {
  id: string;
  project_id: string;
  type: string;
  state: string;
  metadata: string;
  webhook_config: Nullable<string>;
  response: Nullable<string>;
  output_file_uri: Nullable<string>;
  error: Nullable<string>;
  expire_at: Nullable<Millis>;
  created_at: Millis;
  updated_at: Millis;
}
export const toOperation = (r: OperationRow): Operation => ({
  id: r.id,
  projectId: r.project_id,
  type: r.type,
  state: r.state as OperationState,
  metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  webhookConfig: optJson(r.webhook_config),
  response: optJson(r.response),
  outputFileUri: opt(r.output_file_uri),
  error: optJson(r.error),
  expireAt: optNum(r.expire_at),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});
/** A value for a JSON TEXT column; absent is NULL. */
export const jsonOrNull = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
export const operationParams = (o: Operation) => ({
  id: o.id,
  project_id: o.projectId,
  type: o.type,
  state: o.state,
  metadata: JSON.stringify(o.metadata),
  webhook_config: jsonOrNull(o.webhookConfig),
  response: jsonOrNull(o.response),
  output_file_uri: o.outputFileUri ?? null,
  error: jsonOrNull(o.error),
  expire_at: optMs(o.expireAt),
  created_at: ms(o.createdAt),
  updated_at: ms(o.updatedAt),
});

export interface SigningKeyRow {
  kid: string;
  public_jwk: string;
  sealed_private_jwk: string;
  created_at: Millis;
  activates_at: Millis;
  retired_at: Nullable<Millis>;
}
export const toSigningKey = (r: SigningKeyRow): SigningKeyRecord => ({
  kid: r.kid,
  publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
  sealedPrivateJwk: r.sealed_private_jwk,
  createdAt: num(r.created_at),
  activatesAt: num(r.activates_at),
  retiredAt: optNum(r.retired_at),
});

export interface BatchRow {
  id: string;
  project_id: string;
  display_name: string;
  model: string;
  state: string;
  input_file: Nullable<string>;
  request_count: number | string;
  successful_request_count: number | string;
  failed_request_count: number | string;
  webhook_config: Nullable<string>;
  output_file: Nullable<string>;
  error: Nullable<string>;
  deadline_at: Millis;
  created_at: Millis;
  updated_at: Millis;
  ended_at: Nullable<Millis>;
}
export const toBatch = (r: BatchRow): Batch => ({
  id: r.id,
  projectId: r.project_id,
  displayName: r.display_name,
  model: r.model,
  state: r.state as BatchState,
  inputFile: opt(r.input_file),
  requestCount: Number(r.request_count),
  successfulRequestCount: Number(r.successful_request_count),
  failedRequestCount: Number(r.failed_request_count),
  webhookConfig: optJson(r.webhook_config),
  outputFile: opt(r.output_file),
  error: optJson(r.error),
  deadlineAt: num(r.deadline_at),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
  endedAt: optNum(r.ended_at),
});
/**
 * The state of a batch whose input is still going into the store (migration 0007): never on the wire, and passed
 * by every read. The claim, expiry and the gauges ask for pending or running batches, which leaves it out already.
 */
export const HIDDEN_BATCH_STATE = "creating";
/** A batch's columns; `state` is the hidden one while its input goes in. */
export const batchParams = (b: Batch, state: BatchState | typeof HIDDEN_BATCH_STATE = b.state) => ({
  id: b.id,
  project_id: b.projectId,
  display_name: b.displayName,
  model: b.model,
  state,
  input_file: b.inputFile ?? null,
  request_count: b.requestCount,
  successful_request_count: b.successfulRequestCount,
  failed_request_count: b.failedRequestCount,
  webhook_config: jsonOrNull(b.webhookConfig),
  output_file: b.outputFile ?? null,
  error: jsonOrNull(b.error),
  deadline_at: ms(b.deadlineAt),
  created_at: ms(b.createdAt),
  updated_at: ms(b.updatedAt),
  ended_at: optMs(b.endedAt),
});

export interface BatchLineRow {
  line_index: number | string;
  key: string;
  request: Nullable<string>;
  state: string;
  result: Nullable<string>;
}
export const toBatchLine = (r: BatchLineRow): BatchLine => ({
  index: Number(r.line_index),
  key: r.key,
  request: opt(r.request),
  state: r.state as BatchLine["state"],
  result: opt(r.result),
});
