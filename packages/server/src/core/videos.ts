import { type EventPayload, eventPayload } from "./events.js";
import type { OperationError, WebhookConfig } from "./operations.js";

/**
 * Video generation (docs/wire.md: video generation): a long-running operation that starts a provider job, waits for its
 * clip,
 * stores it as a file and ends. `pending` until the job has started, `running` while its handle is stored.
 */
export type VideoState = "pending" | "running" | "succeeded" | "failed";

export interface VideoOperation {
  id: string;
  projectId: string;
  /** As the path named it, without `models/`: `veo-3.0-generate-001`. */
  model: string;
  state: VideoState;
  prompt: string;
  /** Veo's `parameters` as the client sent them (sampleCount, durationSeconds, aspectRatio, …). */
  parameters?: Record<string, unknown>;
  /** The provider job's handle once started: a restart waits for that job instead of starting another. */
  handle?: string;
  /** The generated clip, a file of this project, once succeeded. */
  fileId?: string;
  error?: OperationError;
  webhookConfig?: WebhookConfig;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
}

export type VideoOutcome =
  /** `videoUri` is what the operation shows as the sample's `video.uri`: the clip's download URL, as Veo's. */
  { kind: "succeed"; fileId: string; videoUri: string } | { kind: "fail"; error: OperationError };

/** The name @google/genai polls with `operations.getVideosOperation`: `models/{model}/operations/{id}`. */
export function videoOperationName(model: string, id: string): string {
  return `models/${model}/operations/${id}`;
}

/** A video operation in one of these states has not ended; the store's queries and indexes name the same set. */
export const UNFINISHED_VIDEO_STATES: readonly VideoState[] = ["pending", "running"];

export function isVideoDone(state: VideoState): boolean {
  return !UNFINISHED_VIDEO_STATES.includes(state);
}

/**
 * Ends a video operation exactly once. Success sends `video.generated`, a pointer to the file by its
 * name (`output_file_uri`, `file_name`) and by the URL that downloads it (`video_uri`, which the cookbook reads).
 * A failure sends `video.failed` with the error: Gemini has no event for it (docs/wire.md: departures from Gemini), but
 * a caller waiting on its
 * webhook would otherwise never hear of it. Undefined when it had already ended.
 */
export function finishVideo(
  video: VideoOperation,
  outcome: VideoOutcome,
  now: number,
): { video: VideoOperation; event: EventPayload } | undefined {
  if (isVideoDone(video.state)) return undefined;
  const base = { ...video, updatedAt: now, endedAt: now };
  const pointer = {
    id: videoOperationName(video.model, video.id),
    ...(video.webhookConfig?.user_metadata !== undefined ? { user_metadata: video.webhookConfig.user_metadata } : {}),
  };
  if (outcome.kind === "fail") {
    return {
      video: { ...base, state: "failed", error: outcome.error },
      event: eventPayload(
        "video.failed",
        { ...pointer, error_code: outcome.error.code, error_message: outcome.error.message },
        now,
      ),
    };
  }
  return {
    video: { ...base, state: "succeeded", fileId: outcome.fileId },
    event: eventPayload(
      "video.generated",
      {
        ...pointer,
        output_file_uri: `files/${outcome.fileId}`,
        file_name: `files/${outcome.fileId}`,
        video_uri: outcome.videoUri,
      },
      now,
    ),
  };
}
