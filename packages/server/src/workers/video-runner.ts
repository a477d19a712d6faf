import type { Clock, Timer } from "../core/clock.js";
import { rpcCode } from "../core/errors.js";
import type { VideoOperation } from "../core/videos.js";
import { ProviderError } from "../providers/provider.js";
import type { VideoParameters, VideoProvider } from "../providers/video/types.js";
import type { VideoRunnerControl, VideoService } from "../services/videos.js";
import type { Store } from "../store/store.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";

export interface VideoRunnerOptions {
  /** Generations this process waits for at once. */
  maxRunning: number;
  leaseMs: number;
  idlePollMs: number;
}

export const DEFAULT_VIDEO_RUNNER_OPTIONS: VideoRunnerOptions = { maxRunning: 4, leaseMs: 60_000, idlePollMs: 5_000 };

export interface VideoRunnerDeps {
  store: Store;
  videos: VideoService;
  provider: VideoProvider;
  clock: Clock;
  /** A round or a run that broke (not a provider failure, which fails the operation): logged and counted. */
  onError: (err: unknown, videoId?: string) => void;
}

/**
 * Runs video operations: leases one, starts its provider job and stores the job's handle, waits for the
 * clip, stores it through the Files API and ends the operation (video.generated). A restart, or another
 * process once the lease runs out, waits for the stored job instead of starting a second one.
 */
export class VideoRunner implements VideoRunnerControl {
  private readonly active = new Map<string, AbortController>();
  private readonly loop: WakeableLoop;
  private idle: (() => void) | undefined;

  constructor(
    private readonly deps: VideoRunnerDeps,
    private readonly options: VideoRunnerOptions = DEFAULT_VIDEO_RUNNER_OPTIONS,
  ) {
    this.loop = new WakeableLoop(
      deps.clock,
      () => this.round(),
      (err) => deps.onError(err),
    );
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.loop.stop();
    for (const controller of this.active.values()) controller.abort();
    if (this.active.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  wake(): void {
    this.loop.wake();
  }

  private async round(): Promise<number> {
    while (this.loop.isRunning && this.active.size < this.options.maxRunning) {
      const now = this.deps.clock.now();
      const video = await this.deps.store.videos.claim(now, now + this.options.leaseMs);
      if (video === undefined) break;
      void this.run(video);
    }
    return this.options.idlePollMs;
  }

  private async run(claimed: VideoOperation): Promise<void> {
    const { clock, store, videos, provider, onError } = this.deps;
    const controller = new AbortController();
    const { signal } = controller;
    this.active.set(claimed.id, controller);
    let renew: Timer | undefined;
    const renewSoon = () => {
      renew = clock.setTimeout(() => {
        store.videos.renewLease(claimed.id, clock.now() + this.options.leaseMs).catch((err: unknown) => onError(err, claimed.id));
        renewSoon();
      }, this.options.leaseMs / 3);
    };
    renewSoon();
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
    } finally {
      clock.clearTimeout(renew);
      this.active.delete(claimed.id);
      if (this.active.size === 0) this.idle?.();
      this.wake();
    }
  }
}
