import { failedPrecondition, invalidArgument, type TidingsError } from "./errors.js";
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

export function operationName(id: string): string {
  return `operations/${id}`;
}

/** What an ending writes: the terminal state and what comes with it. */
export interface OperationEnding {
  state: Exclude<OperationState, "running">;
  response?: Record<string, unknown>;
  outputFileUri?: string;
  error?: OperationError;
  updatedAt: number;
}

/**
 * An operation ends exactly once, so what an ending writes depends on the action alone: the store writes it where
 * the operation is still running, in the statement that finds it (docs/store.md, "The lean delivery path"), and one
 * found already ended gets `alreadyEnded`'s 409.
 */
export function operationEnding(action: OperationAction, now: number): OperationEnding {
  switch (action.kind) {
    case "complete": {
      const ending: OperationEnding = { state: "succeeded", updatedAt: now };
      if (action.response !== undefined) ending.response = action.response;
      if (action.outputFileUri !== undefined) ending.outputFileUri = action.outputFileUri;
      return ending;
    }
    case "fail":
      return { state: "failed", error: action.error, updatedAt: now };
    case "expire":
      return {
        state: "expired",
        error: { code: 4, message: "the operation passed its expire_time before it finished" },
        updatedAt: now,
      };
    case "cancel":
      return { state: "cancelled", error: { code: 1, message: "the operation was cancelled" }, updatedAt: now };
  }
}

/** The event that announces an operation that has just ended, as its ending left it: `{type}.{state}`. */
export function endedEvent(op: Operation): EventPayload {
  const data: EventData = { id: operationName(op.id) };
  if (op.outputFileUri !== undefined) data.output_file_uri = op.outputFileUri;
  if (op.state === "failed" && op.error !== undefined) {
    data.error_code = op.error.code;
    data.error_message = op.error.message;
  }
  if (op.webhookConfig?.user_metadata !== undefined) data.user_metadata = op.webhookConfig.user_metadata;
  return eventPayload(`${op.type}.${op.state}`, data, op.updatedAt);
}

/** Acting on an operation that has ended is a 409 FAILED_PRECONDITION. */
export function alreadyEnded(op: Operation): TidingsError {
  return failedPrecondition(`${operationName(op.id)} is already ${op.state}; an operation ends exactly once`);
}
