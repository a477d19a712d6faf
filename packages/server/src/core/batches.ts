import { failedPrecondition } from "./errors.js";
import { type EventData, type EventPayload, eventPayload } from "./events.js";
import type { OperationError, WebhookConfig } from "./operations.js";

export type BatchState =
  | "BATCH_STATE_PENDING"
  | "BATCH_STATE_RUNNING"
  | "BATCH_STATE_SUCCEEDED"
  | "BATCH_STATE_FAILED"
  | "BATCH_STATE_CANCELLED"
  | "BATCH_STATE_EXPIRED";

/** A Gemini-style batch of generateContent requests (docs/wire.md: batches). */
export interface Batch {
  id: string;
  projectId: string;
  displayName: string;
  /** As the client named it, e.g. `models/gemini-2.5-flash`. */
  model: string;
  state: BatchState;
  /** `files/{id}` for file input; absent for inline requests, whose responses are also returned inline. */
  inputFile?: string;
  requestCount: number;
  successfulRequestCount: number;
  failedRequestCount: number;
  webhookConfig?: WebhookConfig;
  /** `files/{id}` of the JSONL output, one line per input line. */
  outputFile?: string;
  error?: OperationError;
  deadlineAt: number;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
}

/** One input line and, once run, its result: exactly one output line per input line. */
export interface BatchLine {
  index: number;
  key: string;
  /** The GenerateContentRequest JSON, or absent when the input line could not be parsed. */
  request?: string;
  state: "pending" | "succeeded" | "failed";
  /** `{response}` or `{error}` JSON once settled. */
  result?: string;
}

export type BatchOutcome =
  | { kind: "succeed"; outputFile: string }
  | { kind: "fail"; error: OperationError }
  | { kind: "cancel" }
  | { kind: "expire" };

const TERMINAL_STATE: Record<BatchOutcome["kind"], BatchState> = {
  succeed: "BATCH_STATE_SUCCEEDED",
  fail: "BATCH_STATE_FAILED",
  cancel: "BATCH_STATE_CANCELLED",
  expire: "BATCH_STATE_EXPIRED",
};

const EVENT_TYPE: Record<BatchOutcome["kind"], string> = {
  succeed: "batch.succeeded",
  fail: "batch.failed",
  cancel: "batch.cancelled",
  expire: "batch.expired",
};

export function batchName(id: string): string {
  return `batches/${id}`;
}

/** A batch in one of these states has not ended; the store's queries and indexes name the same set. */
export const UNFINISHED_BATCH_STATES: readonly BatchState[] = ["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"];

export function isBatchDone(state: BatchState): boolean {
  return !UNFINISHED_BATCH_STATES.includes(state);
}

/** Ends a batch in its one terminal state and builds the event that announces it (docs/wire.md: the event). */
export function finishBatch(batch: Batch, outcome: BatchOutcome, now: number): { batch: Batch; event: EventPayload } {
  if (isBatchDone(batch.state)) {
    throw failedPrecondition(`${batchName(batch.id)} is already ${batch.state}; a batch ends exactly once`);
  }
  const next: Batch = { ...batch, state: TERMINAL_STATE[outcome.kind], updatedAt: now, endedAt: now };
  const data: EventData = { id: batchName(batch.id) };
  if (outcome.kind === "succeed") {
    next.outputFile = outcome.outputFile;
    data.output_file_uri = outcome.outputFile;
  } else if (outcome.kind === "fail") {
    next.error = outcome.error;
    data.error_code = outcome.error.code;
    data.error_message = outcome.error.message;
  }
  if (batch.webhookConfig?.user_metadata !== undefined) data.user_metadata = batch.webhookConfig.user_metadata;
  return { batch: next, event: eventPayload(EVENT_TYPE[outcome.kind], data, now) };
}
