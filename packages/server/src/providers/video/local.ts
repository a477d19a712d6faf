import { ProviderError } from "../provider.js";
import { cancelled } from "../failures.js";
import { sleep } from "../../runtime/sleep.js";
import { clipShape, renderFrames } from "./frames.js";
import { encodeMp4 } from "./mp4.js";
import type { GeneratedVideo, VideoJob, VideoProvider, VideoRequest } from "./types.js";

export interface LocalVideoOptions {
  /** TIDINGS_LOCAL_DELAY_MS: added before rendering, to make a generation take visible time. */
  delayMs: number;
}

/**
 * The offline video provider: a few seconds of H.264 MP4 drawn from the prompt (frames.ts), the same bytes
 * for the same prompt and parameters. The job's handle is the request itself, so `finish` needs nothing else.
 */
export class LocalVideo implements VideoProvider {
  readonly name = "local";

  constructor(private readonly options: LocalVideoOptions) {}

  async start(request: VideoRequest, signal?: AbortSignal): Promise<VideoJob> {
    if (signal?.aborted) throw cancelled(this.name);
    if (request.prompt.trim() === "") {
      throw new ProviderError("instances[0].prompt: is empty; describe the video to generate", {
        status: 400,
        code: "INVALID_ARGUMENT",
        retryable: false,
        field: "instances[0].prompt",
      });
    }
    return {
      handle: JSON.stringify({
        prompt: request.prompt,
        aspectRatio: request.parameters?.aspectRatio,
        durationSeconds: request.parameters?.durationSeconds,
      }),
    };
  }

  async finish(job: VideoJob, signal?: AbortSignal): Promise<GeneratedVideo> {
    const { prompt, aspectRatio, durationSeconds } = JSON.parse(job.handle) as {
      prompt: string;
      aspectRatio?: string;
      durationSeconds?: number;
    };
    if (!(await sleep(this.options.delayMs, signal))) throw cancelled(this.name);
    const shape = clipShape(aspectRatio, durationSeconds);
    return { bytes: await encodeMp4(renderFrames(prompt, shape), shape, this.name, signal), mimeType: "video/mp4" };
  }
}
