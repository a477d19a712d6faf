import type { VideoOperation, VideoState } from "../core/videos.js";
import { jsonOrNull, optJson } from "./rows.js";

/** The video_operations table's row, shared by the SQL drivers; pg hands BIGINT columns over as strings. */
export interface VideoRow {
  id: string;
  project_id: string;
  model: string;
  state: string;
  /** `{prompt, parameters?}` as JSON. */
  request: string;
  handle: string | null;
  result_file: string | null;
  error: string | null;
  webhook_config: string | null;
  created_at: number | string;
  updated_at: number | string;
  ended_at: number | string | null;
}

export const toVideo = (r: VideoRow): VideoOperation => {
  const request = JSON.parse(r.request) as Pick<VideoOperation, "prompt" | "parameters">;
  const error = optJson<VideoOperation["error"]>(r.error);
  const webhookConfig = optJson<VideoOperation["webhookConfig"]>(r.webhook_config);
  return {
    id: r.id,
    projectId: r.project_id,
    model: r.model,
    state: r.state as VideoState,
    prompt: request.prompt,
    ...(request.parameters !== undefined ? { parameters: request.parameters } : {}),
    ...(r.handle !== null ? { handle: r.handle } : {}),
    ...(r.result_file !== null ? { fileId: r.result_file } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(webhookConfig !== undefined ? { webhookConfig } : {}),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    ...(r.ended_at !== null ? { endedAt: Number(r.ended_at) } : {}),
  };
};

export const VIDEO_COLUMNS =
  "id, project_id, model, state, request, handle, result_file, error, webhook_config, created_at, updated_at, ended_at";

/** Column values in VIDEO_COLUMNS order; times rounded because PostgreSQL's BIGINT refuses fractions. */
export const videoValues = (v: VideoOperation): unknown[] => [
  v.id,
  v.projectId,
  v.model,
  v.state,
  JSON.stringify({ prompt: v.prompt, ...(v.parameters !== undefined ? { parameters: v.parameters } : {}) }),
  v.handle ?? null,
  v.fileId ?? null,
  jsonOrNull(v.error),
  jsonOrNull(v.webhookConfig),
  Math.round(v.createdAt),
  Math.round(v.updatedAt),
  v.endedAt === undefined ? null : Math.round(v.endedAt),
];

/**
 * What `update` may change, in the drivers' SET order (state, handle, result_file, error, updated_at, ended_at), then
 * the id.
 */
export const videoUpdateValues = (v: VideoOperation): unknown[] => [
  v.state,
  v.handle ?? null,
  v.fileId ?? null,
  jsonOrNull(v.error),
  Math.round(v.updatedAt),
  v.endedAt === undefined ? null : Math.round(v.endedAt),
  v.id,
];
