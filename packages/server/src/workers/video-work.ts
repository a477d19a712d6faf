import type { VideoOperation } from "../core/videos.js";
import { failureError } from "../providers/failure-status.js";
import type { VideoParameters, VideoProvider } from "../providers/video/types.js";
import type { LeasedRunnerOptions, LeasedWork } from "../runtime/leased-runner.js";
import type { VideoService } from "../services/videos.js";
import { runOrFail } from "./run-or-fail.js";

/** Generations one process waits for at once, and their lease. */
export const VIDEO_RUNNER_OPTIONS: LeasedRunnerOptions = { maxRunning: 4, leaseMs: 60_000, idlePollMs: 5_000 };

/**
 * A video operation's run, leased through its service: it starts the provider job and stores the job's
 * handle, waits for the clip, stores it through the Files API and ends the operation (video.generated). A
 * restart, or another process once the lease runs out, waits for the stored job instead of starting a second one.
 */
export class VideoWork implements LeasedWork<VideoOperation> {
  constructor(
    private readonly videos: VideoService,
    private readonly provider: VideoProvider,
    /** A run that broke (not a provider failure, which fails the operation): logged and counted. */
    private readonly onError: (err: unknown, videoId?: string) => void,
  ) {}

  run(claimed: VideoOperation, signal: AbortSignal): Promise<void> {
    return runOrFail(
      claimed.id,
      signal,
      async () => {
        let video: VideoOperation | undefined = claimed;
        if (video.handle === undefined) {
          const parameters = claimed.parameters as VideoParameters | undefined;
          const job = await this.provider.start(
            { model: claimed.model, prompt: claimed.prompt, ...(parameters !== undefined ? { parameters } : {}) },
            signal,
          );
          video = await this.videos.started(claimed, job.handle);
        }
        if (video?.handle === undefined) return;
        await this.videos.complete(video, await this.provider.finish({ handle: video.handle }, signal));
      },
      (err) => {
        const { code, message } = failureError(err, (detail) => `the video could not be generated: ${detail}`);
        return this.videos.fail(claimed, { code, message });
      },
      this.onError,
    );
  }
}
