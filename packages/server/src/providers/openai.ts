import { JsonClient } from "./http-client.js";
import { fromChatCompletionResponse, toChatCompletionRequest } from "./openai-wire.js";
import type { GenerateContentRequest, GenerateContentResponse, Provider } from "./provider.js";

export interface OpenAiOptions {
  /** Up to and including the version segment, e.g. `http://127.0.0.1:8000/v1` (vLLM) or `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; local servers usually need none. */
  apiKey?: string;
  timeoutMs: number;
}

/** Any OpenAI chat-completions server (vLLM, Ollama, llama.cpp, OpenAI) behind the Gemini wire format. */
export class OpenAiProvider implements Provider {
  readonly name = "openai";
  private readonly client: JsonClient;
  private readonly url: string;

  constructor(private readonly options: OpenAiOptions) {
    this.client = new JsonClient({ provider: this.name, timeoutMs: options.timeoutMs });
    this.url = `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  async generateContent(model: string, request: GenerateContentRequest, signal?: AbortSignal): Promise<GenerateContentResponse> {
    const body = toChatCompletionRequest(model, request);
    const headers: Record<string, string> = this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
    return fromChatCompletionResponse(model, await this.client.post(this.url, headers, body, signal));
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
