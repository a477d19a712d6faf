import type { ProviderConfig } from "../settings.js";
import type { VideoProviderName } from "../settings.js";
import { LocalVideo } from "./local.js";
import type { VideoProvider } from "./types.js";
import { VeoVideo } from "./veo.js";

/** The process's video provider (TIDINGS_VIDEO_PROVIDER); create it once, `veo` pools connections. */
export function createVideoProvider(config: ProviderConfig & { videoProvider: VideoProviderName }): VideoProvider {
  if (config.videoProvider === "local") return new LocalVideo({ delayMs: config.localDelayMs });
  if (config.apiKey === undefined)
    throw new Error("TIDINGS_PROVIDER_API_KEY is required with TIDINGS_VIDEO_PROVIDER=veo");
  return new VeoVideo({ baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
}

export type * from "./types.js";
