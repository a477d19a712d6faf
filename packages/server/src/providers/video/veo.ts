import { cancelled } from "../failures.js";
import { withRetry } from "../retry.js";
import { type GoogleUpstreamOptions, Upstream } from "../upstream.js";
import { sleep } from "../../runtime/sleep.js";
import type { GeneratedVideo, VideoJob, VideoProvider, VideoRequest } from "./types.js";
import { readOperation, type VeoOperation } from "./veo-wire.js";

/** Google's samples poll a Veo operation every 10 s; a clip takes from about 10 s to a few minutes. */
const POLL_INTERVAL_MS = 10_000;

export interface VeoVideoOptions extends GoogleUpstreamOptions {
  pollIntervalMs?: number;
}

/**
 * Gemini's Veo: `predictLongRunning` starts the operation, whose name is the job's handle; `finish` polls it
 * until done and fetches the sample. The key goes only to the base URL's own origin: a sample URI elsewhere
 * (a signed storage link) is fetched without it.
 */
export class VeoVideo implements VideoProvider {
  readonly name = "veo";
  private readonly upstream: Upstream;

  constructor(private readonly options: VeoVideoOptions) {
    this.upstream = Upstream.google(this.name, options);
  }

  async start(request: VideoRequest, signal?: AbortSignal): Promise<VideoJob> {
    const model = request.model.replace(/^models\//, "");
    const path = `/v1beta/models/${encodeURIComponent(model)}:predictLongRunning`;
    const body = {
      instances: [{ prompt: request.prompt }],
      ...(request.parameters !== undefined ? { parameters: request.parameters } : {}),
    };
    // Not retried: a start whose answer was lost may have begun a generation that a second start would pay for again.
    const operation = readOperation(await this.upstream.post(path, body, signal));
    return { handle: operation.name };
  }

  async finish(job: VideoJob, signal?: AbortSignal): Promise<GeneratedVideo> {
    const { client, auth } = this.upstream;
    const url = this.upstream.url(`/v1beta/${job.handle}`);
    for (;;) {
      // A poll that fails on the way (429, 5xx, network) is tried again; the operation goes on regardless.
      const operation: VeoOperation = readOperation(
        await withRetry(this.name, (s) => client.get(url, auth, s), { signal }),
      );
      if (operation.done) {
        const { video } = operation;
        if ("bytes" in video) return { bytes: video.bytes, mimeType: video.mimeType ?? "video/mp4" };
        return this.download(video.uri, video.mimeType, signal);
      }
      if (!(await sleep(this.options.pollIntervalMs ?? POLL_INTERVAL_MS, signal))) throw cancelled(this.name);
    }
  }

  close(): Promise<void> {
    return this.upstream.close();
  }

  private async download(uri: string, mimeType: string | undefined, signal?: AbortSignal): Promise<GeneratedVideo> {
    const { client, auth, base } = this.upstream;
    const url = /^https?:\/\//.test(uri)
      ? uri
      : this.upstream.url(`/v1beta/${uri.replace(/^\/+/, "")}:download?alt=media`);
    const sameOrigin = new URL(url).origin === new URL(base).origin;
    const file = await withRetry(this.name, (s) => client.download(url, sameOrigin ? auth : {}, s), { signal });
    return { bytes: file.bytes, mimeType: mimeType ?? file.contentType?.split(";")[0] ?? "video/mp4" };
  }
}
