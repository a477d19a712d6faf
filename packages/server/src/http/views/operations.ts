import type { Operation as OperationResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import { operationName, type Operation, type OperationState } from "../../core/operations.js";

const WIRE_STATE = {
  running: "RUNNING",
  succeeded: "SUCCEEDED",
  failed: "FAILED",
  cancelled: "CANCELLED",
  expired: "EXPIRED",
} as const satisfies Record<OperationState, OperationResource["metadata"]["state"]>;

/** The google.longrunning.Operation view that polling clients read (camelCase, docs/wire.md: operations). */
export function toLongRunningOperation(op: Operation): OperationResource {
  const view: OperationResource = {
    name: operationName(op.id),
    metadata: {
      ...op.metadata,
      type: op.type,
      state: WIRE_STATE[op.state],
      createTime: toRfc3339(op.createdAt),
      updateTime: toRfc3339(op.updatedAt),
      ...(op.expireAt !== undefined ? { expireTime: toRfc3339(op.expireAt) } : {}),
    },
    done: op.state !== "running",
  };
  if (op.error !== undefined) view.error = op.error;
  if (op.state === "succeeded") {
    view.response = {
      ...(op.response ?? {}),
      ...(op.outputFileUri !== undefined ? { outputFileUri: op.outputFileUri } : {}),
    };
  }
  return view;
}
