import { type BatchState, UNFINISHED_BATCH_STATES } from "../../core/batches.js";
import { type InteractionStatus, UNFINISHED_INTERACTION_STATUSES } from "../../core/interactions.js";
import type { OperationState } from "../../core/operations.js";
import { UNFINISHED_VIDEO_STATES } from "../../core/videos.js";
import { HIDDEN_BATCH_STATE } from "../rows.js";

/** Constants of core as an SQL list of literals, so that a query's state set is core's, written once. */
const literals = (values: readonly string[]): string => values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");

export const UNFINISHED_BATCHES = `(${literals(UNFINISHED_BATCH_STATES)})`;
export const UNFINISHED_VIDEOS = `(${literals(UNFINISHED_VIDEO_STATES)})`;
export const UNFINISHED_INTERACTIONS = `(${literals(UNFINISHED_INTERACTION_STATUSES)})`;
/** A custom operation runs until it ends (core/operations.ts). */
export const RUNNING_OPERATION = literals(["running" satisfies OperationState]);
/** A batch waits for a runner, then runs (core/batches.ts). */
export const PENDING_BATCH = literals(["BATCH_STATE_PENDING" satisfies BatchState]);
export const RUNNING_BATCH = literals(["BATCH_STATE_RUNNING" satisfies BatchState]);
/** A batch whose input is still going in: passed by every read (rows.ts). */
export const HIDDEN_BATCH = literals([HIDDEN_BATCH_STATE]);
/** The one unfinished status a runner works on; `requires_action` waits for the client (core/interactions.ts). */
export const RUNNING_INTERACTION = literals(["in_progress" satisfies InteractionStatus]);
