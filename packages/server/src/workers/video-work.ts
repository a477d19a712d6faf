import { rpcCode } from "../core/errors.js";
import type { VideoOperation } from "../core/videos.js";
import { ProviderError } from "../providers/provider.js";
import type { VideoParameters, VideoProvider } from "../providers/video/types.js";
import type { LeasedRunnerOptions, LeasedWork } from "../runtime/leased-runner.js";
import type { VideoService } from "../services/videos.js";
import type { Store } from "../store/store.js";

/** Generations one process waits for at once, and their lease. */
export const VIDEO_RUNNER_OPTIONS: LeasedRunnerOptions = { maxRunning: 4, leaseMs: 60_000, idlePollMs: 5_000 };

export interface VideoWorkDeps {
  store: Store;
  videos: VideoService;
  provider: VideoProvider;
  /** A run that broke (not a provider failure, which fails the operation): logged and counted. */
  onError: (err: unknown, videoId?: string) => void;
}

/**
 * A video operation's run, leased by a LeasedRunner: it starts the provider job and stores the job's handle, waits for the
 * clip, stores it through the Files API and ends the operation (video.generated). A restart, or another
 * process once the lease runs out, waits for the stored job instead of starting a second one.
 */
export class VideoWork implements LeasedWork<VideoOperation> {
  constructor(private readonly deps: VideoWorkDeps) {}

  claim(now: number, lockedUntil: number): Promise<VideoOperation | undefined> {
    return this.deps.store.videos.claim(now, lockedUntil);
  }

  async renew(video: VideoOperation, lockedUntil: number): Promise<boolean> {
    await this.deps.store.videos.renewLease(video.id, lockedUntil);
    return true;
  }

  async run(claimed: VideoOperation, signal: AbortSignal): Promise<void> {
    const { videos, provider, onError } = this.deps;
    try {
      let video: VideoOperation | undefined = claimed;
      if (video.handle === undefined) {
        const parameters = claimed.parameters as VideoParameters | undefined;
        const job = await provider.start({ model: claimed.model, prompt: claimed.prompt, ...(parameters !== undefined ? { parameters } : {}) }, signal);
        video = await videos.started(claimed, job.handle);
      }
      if (video?.handle === undefined) return;
      const clip = await provider.finish({ handle: video.handle }, signal);
      await videos.complete(video, clip);
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof ProviderError)) onError(err, claimed.id);
      const error =
        err instanceof ProviderError
          ? { code: rpcCode(err.code), message: err.message }
          : { code: rpcCode("INTERNAL"), message: `the video could not be generated: ${err instanceof Error ? err.message : String(err)}` };
      await videos.fail(claimed, error).catch((failErr: unknown) => onError(failErr, claimed.id));
    }
  }
}
