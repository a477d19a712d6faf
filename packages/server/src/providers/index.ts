import { GeminiProvider } from "./gemini.js";
import { LocalProvider } from "./local.js";
import { OpenAiProvider } from "./openai.js";
import type { Provider } from "./provider.js";
import type { ProviderConfig } from "./settings.js";

/**
 * The one provider a process uses for every model name (docs/architecture.md: providers); create it once, it pools
 * connections.
 */
export function createProvider(config: ProviderConfig): Provider {
  switch (config.provider) {
    case "local":
      return new LocalProvider({ delayMs: config.localDelayMs });
    case "openai":
      if (config.baseUrl === undefined)
        throw new Error(
          "TIDINGS_PROVIDER_BASE_URL is required with TIDINGS_PROVIDER=openai, e.g. http://127.0.0.1:8000/v1",
        );
      return new OpenAiProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
    case "gemini":
      if (config.apiKey === undefined)
        throw new Error("TIDINGS_PROVIDER_API_KEY is required with TIDINGS_PROVIDER=gemini");
      return new GeminiProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
  }
}

export type { ProviderConfig } from "./settings.js";
export { ConcurrencyLimiter } from "./limiter.js";
export { generateWithRetry, nextTurnWithRetry, withRetry, type RetryOptions } from "./retry.js";
export { createAgentProvider, createInteractionProvider } from "./interactions/index.js";
export { ProviderTurns } from "./interactions/turns.js";
export type * from "./interactions/types.js";
export { createVideoProvider } from "./video/index.js";
export type * from "./video/types.js";
export { parseGenerateContentRequest } from "./request.js";
export { localReplyText } from "./local.js";
export * from "./provider.js";
