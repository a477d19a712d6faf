import type { ProviderConfig } from "../settings.js";
import type { Provider } from "../provider.js";
import { GeminiInteractions } from "./gemini.js";
import { LocalResearchAgent } from "./research-agent.js";
import type { AgentProvider, InteractionProvider } from "./types.js";
import { ContentInteractions } from "./via-content.js";

/**
 * The interaction capability of the process's provider. `local` and `openai` answer turns through
 * `generation` (the Provider from createProvider, whose pool they share and which its owner closes);
 * `gemini` forwards turns to Gemini's own interactions API and has a pool of its own to close.
 */
export function createInteractionProvider(config: ProviderConfig, generation: Provider): InteractionProvider {
  if (config.provider === "gemini") {
    if (config.apiKey === undefined)
      throw new Error("TIDINGS_PROVIDER_API_KEY is required with TIDINGS_PROVIDER=gemini");
    return new GeminiInteractions({ baseUrl: config.baseUrl, apiKey: config.apiKey, timeoutMs: config.timeoutMs });
  }
  return new ContentInteractions(generation);
}

/** Agents (`deep-research-…`) run as the local emulation whatever TIDINGS_PROVIDER is. */
export function createAgentProvider(config: ProviderConfig): AgentProvider {
  return new LocalResearchAgent({ delayMs: config.localDelayMs });
}

export * from "./types.js";
