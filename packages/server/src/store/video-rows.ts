import type { VideoOperation, VideoState } from "../core/videos.js";
import { jsonOrNull, optJson } from "./rows.js";
import { ms, optMs } from "./sql/db.js";

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

/** The row's values by column; times rounded because PostgreSQL's BIGINT refuses fractions. */
export const videoParams = (v: VideoOperation) => ({
  id: v.id,
  project_id: v.projectId,
  model: v.model,
  state: v.state,
  request: JSON.stringify({ prompt: v.prompt, ...(v.parameters !== undefined ? { parameters: v.parameters } : {}) }),
  handle: v.handle ?? null,
  result_file: v.fileId ?? null,
  error: jsonOrNull(v.error),
  webhook_config: jsonOrNull(v.webhookConfig),
  created_at: ms(v.createdAt),
  updated_at: ms(v.updatedAt),
  ended_at: optMs(v.endedAt),
});
