import { failedPrecondition, invalidArgument } from "./errors.js";
import { type EventData, type EventPayload, eventPayload } from "./events.js";

export type OperationState = "running" | "succeeded" | "failed" | "cancelled" | "expired";

export interface WebhookConfig {
  uris: string[];
  user_metadata?: Record<string, unknown>;
}

export interface OperationError {
  code: number;
  message: string;
}

/** A custom operation run by the user's own worker (docs/wire.md: operations). */
export interface Operation {
  id: string;
  projectId: string;
  type: string;
  state: OperationState;
  metadata: Record<string, unknown>;
  webhookConfig?: WebhookConfig;
  response?: Record<string, unknown>;
  outputFileUri?: string;
  error?: OperationError;
  expireAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** The kinds of long-running operation the polling surface lists (docs/wire.md: operations). */
export const OPERATION_KINDS = ["custom", "batch", "video"] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** The AIP-160 subset the polling surface filters on. */
export interface OperationFilter {
  done?: boolean;
  /** A custom operation's type; only custom operations have one. */
  type?: string;
  kind?: OperationKind;
}

/** One entry of the polling surface: which kind, and its id within that kind. */
export interface OperationRef {
  kind: OperationKind;
  id: string;
}

/**
 * Parses `filter`: `done=true|false`, `type=NAME` and `kind=custom|batch`, joined by AND. Anything else is
 * a 400 that says what is supported.
 */
export function parseOperationFilter(filter: string | undefined): OperationFilter {
  const result: OperationFilter = {};
  if (filter === undefined || filter.trim() === "") return result;
  const supported = `supported: done=true, done=false, type=NAME, kind=${OPERATION_KINDS.join("|")}, joined by AND`;
  for (const clause of filter.split(/\s+AND\s+/i)) {
    const match = /^\s*(done|type|kind)\s*=\s*"?([a-z0-9_]+)"?\s*$/i.exec(clause);
    const [, field, value = ""] = match ?? [];
    if (field === "done" && (value === "true" || value === "false")) result.done = value === "true";
    else if (field === "type") result.type = value;
    else if (field === "kind" && (OPERATION_KINDS as readonly string[]).includes(value))
      result.kind = value as OperationKind;
    else throw invalidArgument("filter", `cannot parse "${clause.trim()}"; ${supported}`);
  }
  return result;
}

export type OperationAction =
  | { kind: "complete"; response?: Record<string, unknown>; outputFileUri?: string }
  | { kind: "fail"; error: OperationError }
  | { kind: "cancel" }
  | { kind: "expire" };

const OUTCOME: Record<OperationAction["kind"], Exclude<OperationState, "running">> = {
  complete: "succeeded",
  fail: "failed",
  cancel: "cancelled",
  expire: "expired",
};

export function operationName(id: string): string {
  return `operations/${id}`;
}

/**
 * Moves a running operation to its one terminal state and builds the event that announces it.
 * An operation ends exactly once: acting on a finished one is a 409 FAILED_PRECONDITION.
 */
export function finishOperation(
  op: Operation,
  action: OperationAction,
  now: number,
): { operation: Operation; event: EventPayload } {
  if (op.state !== "running") {
    throw failedPrecondition(`${operationName(op.id)} is already ${op.state}; an operation ends exactly once`);
  }
  const state = OUTCOME[action.kind];
  const operation: Operation = { ...op, state, updatedAt: now };
  const data: EventData = { id: operationName(op.id) };
  if (action.kind === "complete") {
    operation.response = action.response;
    operation.outputFileUri = action.outputFileUri;
    if (action.outputFileUri !== undefined) data.output_file_uri = action.outputFileUri;
  } else if (action.kind === "fail") {
    operation.error = action.error;
    data.error_code = action.error.code;
    data.error_message = action.error.message;
  } else if (action.kind === "expire") {
    operation.error = { code: 4, message: "the operation passed its expire_time before it finished" };
  } else {
    operation.error = { code: 1, message: "the operation was cancelled" };
  }
  if (op.webhookConfig?.user_metadata !== undefined) data.user_metadata = op.webhookConfig.user_metadata;
  return { operation, event: eventPayload(`${op.type}.${state}`, data, now) };
}
