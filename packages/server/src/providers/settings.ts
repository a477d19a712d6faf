/**
 * TIDINGS_PROVIDER* and TIDINGS_VIDEO_PROVIDER settings (docs/architecture.md: providers), parsed here so config.ts
 * only lists
 * them. Each error names the variable and the fix, since it stops the server at start-up.
 */
export type ProviderName = "local" | "openai" | "gemini";
export const PROVIDER_NAMES: readonly ProviderName[] = ["local", "openai", "gemini"];
export type VideoProviderName = "local" | "veo";
export const VIDEO_PROVIDER_NAMES: readonly VideoProviderName[] = ["local", "veo"];

export interface ProviderSettings {
  /**
   * TIDINGS_PROVIDER: the model backend for batches and generateContent (docs/architecture.md: providers); default
   * local.
   */
  provider: ProviderName;
  /** TIDINGS_PROVIDER_BASE_URL: required for openai (e.g. http://127.0.0.1:8000/v1); gemini defaults to Google's. */
  providerBaseUrl?: string;
  /** TIDINGS_PROVIDER_API_KEY: Bearer for openai, x-goog-api-key for gemini (required there). */
  providerApiKey?: string;
  /** TIDINGS_LOCAL_DELAY_MS: how long the local provider takes per request (default 0). */
  localDelayMs: number;
  /** TIDINGS_PROVIDER_CONCURRENCY: upstream requests in flight per process (default 16). */
  providerConcurrency: number;
  /** TIDINGS_PROVIDER_TIMEOUT_MS: one upstream request's limit (default 120000). */
  providerTimeoutMs: number;
  /**
   * TIDINGS_VIDEO_PROVIDER: `local` renders offline (default); `veo` calls Gemini with the provider's key and base URL.
   */
  videoProvider: VideoProviderName;
}

export function loadProviderSettings(env: NodeJS.ProcessEnv): ProviderSettings {
  const provider = env.TIDINGS_PROVIDER || "local";
  if (!(PROVIDER_NAMES as readonly string[]).includes(provider)) {
    throw new Error(`TIDINGS_PROVIDER: "${provider}" must be one of ${PROVIDER_NAMES.join(", ")}`);
  }
  const providerBaseUrl = env.TIDINGS_PROVIDER_BASE_URL || undefined;
  if (providerBaseUrl !== undefined && !/^https?:\/\/[^/]/.test(providerBaseUrl)) {
    throw new Error(
      `TIDINGS_PROVIDER_BASE_URL: "${providerBaseUrl}" must be an http(s) URL such as http://127.0.0.1:8000/v1`,
    );
  }
  if (provider === "openai" && providerBaseUrl === undefined) {
    throw new Error(
      "TIDINGS_PROVIDER_BASE_URL is required with TIDINGS_PROVIDER=openai: the server's URL up to /v1, e.g. http://127.0.0.1:8000/v1 (vLLM) or http://127.0.0.1:11434/v1 (Ollama)",
    );
  }
  const providerApiKey = env.TIDINGS_PROVIDER_API_KEY || undefined;
  if (provider === "gemini" && providerApiKey === undefined) {
    throw new Error(
      "TIDINGS_PROVIDER_API_KEY is required with TIDINGS_PROVIDER=gemini: a Gemini API key from https://aistudio.google.com/apikey",
    );
  }
  const videoProvider = env.TIDINGS_VIDEO_PROVIDER || "local";
  if (!(VIDEO_PROVIDER_NAMES as readonly string[]).includes(videoProvider)) {
    throw new Error(`TIDINGS_VIDEO_PROVIDER: "${videoProvider}" must be one of ${VIDEO_PROVIDER_NAMES.join(", ")}`);
  }
  if (videoProvider === "veo" && provider === "openai") {
    throw new Error(
      "TIDINGS_VIDEO_PROVIDER=veo needs a Gemini key in TIDINGS_PROVIDER_API_KEY, which TIDINGS_PROVIDER=openai uses for the OpenAI server; use TIDINGS_PROVIDER=gemini or local with veo",
    );
  }
  if (videoProvider === "veo" && providerApiKey === undefined) {
    throw new Error(
      "TIDINGS_PROVIDER_API_KEY is required with TIDINGS_VIDEO_PROVIDER=veo: a Gemini API key from https://aistudio.google.com/apikey",
    );
  }
  return {
    provider: provider as ProviderName,
    providerBaseUrl,
    providerApiKey,
    localDelayMs: integer(env.TIDINGS_LOCAL_DELAY_MS ?? "0", "TIDINGS_LOCAL_DELAY_MS", 0),
    providerConcurrency: integer(env.TIDINGS_PROVIDER_CONCURRENCY ?? "16", "TIDINGS_PROVIDER_CONCURRENCY", 1),
    providerTimeoutMs: integer(env.TIDINGS_PROVIDER_TIMEOUT_MS ?? "120000", "TIDINGS_PROVIDER_TIMEOUT_MS", 1),
    videoProvider: videoProvider as VideoProviderName,
  };
}

function integer(text: string, name: string, min: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < min)
    throw new Error(`${name}: "${text}" must be an integer ≥ ${min}`);
  return n;
}

/** What creating a provider needs: the TIDINGS_PROVIDER* settings, as the factories take them. */
export interface ProviderConfig {
  provider: ProviderName;
  baseUrl?: string;
  apiKey?: string;
  localDelayMs: number;
  timeoutMs: number;
}
