import { fromChatCompletionResponse, toChatCompletionRequest } from "./openai-wire.js";
import { type OpenAiUpstreamOptions, RemoteProvider, Upstream } from "./upstream.js";

/** Any OpenAI chat-completions server (vLLM, Ollama, llama.cpp, OpenAI) behind the Gemini wire format. */
export class OpenAiProvider extends RemoteProvider {
  constructor(options: OpenAiUpstreamOptions) {
    super("openai", Upstream.openAi("openai", options), {
      path: () => "/chat/completions",
      request: toChatCompletionRequest,
      reply: fromChatCompletionResponse,
    });
  }
}
