import { failedPrecondition } from "./errors.js";
import type { EventPayload } from "./events.js";
import { toRfc3339 } from "./clock.js";

export type OperationState = "running" | "succeeded" | "failed" | "cancelled" | "expired";

export interface WebhookConfig {
  uris: string[];
  user_metadata?: Record<string, unknown>;
}

export interface OperationError {
  code: number;
  message: string;
}

/** A custom operation run by the user's own worker (DESIGN §2.6). */
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

/** The AIP-160 subset the polling surface filters on. */
export interface OperationFilter {
  done?: boolean;
  type?: string;
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
  const data: Record<string, unknown> = { id: operationName(op.id) };
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
  const event = { type: `${op.type}.${state}`, version: "v1", timestamp: toRfc3339(now), data } as EventPayload;
  return { operation, event };
}
