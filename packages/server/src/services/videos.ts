import type { PredictLongRunningRequest } from "@tidings/sdk/contract";
import { invalidArgument, notFound } from "../core/errors.js";
import { newEvent } from "../core/events.js";
import { eventTargetFor } from "../core/fanout.js";
import { newResourceId } from "../core/ids.js";
import type { OperationError } from "../core/operations.js";
import {
  finishVideo,
  isVideoDone,
  videoOperationName,
  type VideoOperation,
  type VideoOutcome,
} from "../core/videos.js";
import type { ServiceContext } from "./context.js";
import type { FileService } from "./files.js";
import type { KindLeases } from "./leases.js";
import { reportStateChange } from "./state-changes.js";
import { parseWebhookConfig } from "./webhook-config.js";

/** Instance fields Tidings' providers cannot act on: refused by name rather than ignored. */
const UNSUPPORTED_INSTANCE_FIELDS = ["image", "video", "lastFrame", "referenceImages"] as const;

/**
 * Video generation (docs/wire.md: video generation): an operation the video runner starts, waits for and ends, storing
 * the clip
 * through the Files API (source GENERATED). Its ending commits with its event: `video.generated`, or `video.failed`.
 */
export class VideoService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly files: FileService,
    /** The video runner's claims and renewals. */
    readonly leases: KindLeases<VideoOperation>,
  ) {}

  async generate(projectId: string, model: string, request: PredictLongRunningRequest): Promise<VideoOperation> {
    if (request.instances.length !== 1)
      throw invalidArgument("instances", `has ${request.instances.length} entries; send exactly one, with a prompt`);
    const instance = request.instances[0]!;
    for (const field of UNSUPPORTED_INSTANCE_FIELDS) {
      if (instance[field] !== undefined)
        throw invalidArgument(
          `instances[0].${field}`,
          "is not supported: Tidings generates videos from the prompt alone",
        );
    }
    const prompt = instance.prompt?.trim() ?? "";
    if (prompt === "") throw invalidArgument("instances[0].prompt", "is required: describe the video to generate");
    const { sampleCount, ...parameters } = request.parameters ?? {};
    if (sampleCount !== undefined && sampleCount !== 1)
      throw invalidArgument("parameters.sampleCount", `is ${sampleCount}; Tidings generates one video per request`);
    const config = request.webhookConfig;
    const webhookConfig = parseWebhookConfig(
      config && { uris: config.uris, user_metadata: config.userMetadata },
      "webhookConfig",
      this.ctx.uriRules,
    );
    const now = this.ctx.clock.now();
    const video: VideoOperation = {
      id: newResourceId(now),
      projectId,
      model: model.replace(/^models\//, ""),
      state: "pending",
      prompt: instance.prompt!,
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
      ...(webhookConfig !== undefined ? { webhookConfig } : {}),
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.store.videos.insert(video);
    this.reportState(video);
    this.ctx.signals.videos.runnable.ring();
    return video;
  }

  /**
   * By its name's parts, `models/{model}/operations/{id}`: another model's operation is as unknown as a made-up one.
   */
  async get(projectId: string, model: string, id: string): Promise<VideoOperation> {
    const video = await this.ctx.store.videos.get(projectId, id);
    if (video === undefined || video.model !== model) throw notFound(videoOperationName(model, id));
    return video;
  }

  /**
   * Where the clip's `video.uri` points: its download URL on the public URL, which `curl -L -H "x-goog-api-key: …"`
   * fetches as it fetches Veo's, and from which @google/genai takes the file name (docs/wire/video.md).
   */
  videoUri(fileId: string): string {
    return `${this.files.publicUrl}/v1beta/files/${fileId}:download?alt=media`;
  }

  /** The provider job started: its handle is stored, so a restart waits for it rather than starting another. */
  async started(video: VideoOperation, handle: string): Promise<VideoOperation | undefined> {
    const next = await this.ctx.store.transaction(async (tx) => {
      const current = await tx.videos.getForUpdate(video.projectId, video.id);
      if (current === undefined || isVideoDone(current.state)) return undefined;
      const running: VideoOperation = { ...current, state: "running", handle, updatedAt: this.ctx.clock.now() };
      await tx.videos.update(running);
      return running;
    });
    if (next !== undefined) this.reportState(next);
    return next;
  }

  /** Stores the clip as a file and ends the operation with video.generated. */
  async complete(
    video: VideoOperation,
    clip: { bytes: Uint8Array; mimeType: string },
  ): Promise<VideoOperation | undefined> {
    const file = await this.files.create(
      video.projectId,
      {
        displayName: `${videoOperationName(video.model, video.id)} video`,
        mimeType: clip.mimeType,
        source: "GENERATED",
      },
      Buffer.from(clip.bytes),
    );
    const ended = await this.finish(video, { kind: "succeed", fileId: file.id, videoUri: this.videoUri(file.id) });
    // Ended elsewhere meanwhile (a lapsed lease run twice): this copy of the clip belongs to nothing.
    if (ended === undefined) await this.files.delete(video.projectId, file.id);
    return ended;
  }

  fail(video: VideoOperation, error: OperationError): Promise<VideoOperation | undefined> {
    return this.finish(video, { kind: "fail", error });
  }

  /** Ends it exactly once, its event committing with it; undefined when it had already ended. */
  private async finish(video: VideoOperation, outcome: VideoOutcome): Promise<VideoOperation | undefined> {
    const now = this.ctx.clock.now();
    const result = await this.ctx.store.transaction(async (tx) => {
      const current = await tx.videos.getForUpdate(video.projectId, video.id);
      const ended = current === undefined ? undefined : finishVideo(current, outcome, now);
      if (ended === undefined) return undefined;
      await tx.videos.update(ended.video);
      const name = videoOperationName(video.model, video.id);
      const published = await this.ctx.outbox.write(
        tx,
        newEvent(video.projectId, ended.event, now, name),
        eventTargetFor(ended.video.webhookConfig),
        now,
      );
      return { video: ended.video, published };
    });
    if (result === undefined) return undefined;
    this.ctx.outbox.announce(result.published);
    this.reportState(result.video);
    return result.video;
  }

  private reportState(video: VideoOperation): void {
    reportStateChange(this.ctx, {
      resource: "operation",
      kind: "video",
      name: videoOperationName(video.model, video.id),
      state: video.state,
    });
  }
}
