import { UNFINISHED_BATCH_STATES } from "../../core/batches.js";
import { UNFINISHED_INTERACTION_STATUSES } from "../../core/interactions.js";
import { UNFINISHED_VIDEO_STATES } from "../../core/videos.js";

/** Constants of core as an SQL list of literals, so that a query's state set is core's, written once. */
const literals = (values: readonly string[]): string => values.map((v) => `'${v.replaceAll("'", "''")}'`).join(", ");

export const UNFINISHED_BATCHES = `(${literals(UNFINISHED_BATCH_STATES)})`;
export const UNFINISHED_VIDEOS = `(${literals(UNFINISHED_VIDEO_STATES)})`;
export const UNFINISHED_INTERACTIONS = `(${literals(UNFINISHED_INTERACTION_STATUSES)})`;
/** A custom operation runs until it ends (core/operations.ts). */
export const RUNNING_OPERATION = "'running'";
