import { JsonClient } from "./http-client.js";
import type { GenerateContentRequest, GenerateContentResponse, Provider } from "./provider.js";

/**
 * Gemini's API host: where the gemini, interactions and veo providers go unless TIDINGS_PROVIDER_BASE_URL says
 * otherwise.
 */
export const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com";

/** A Google API (Gemini, Veo): the host only (Gemini's by default), and the key, sent as x-goog-api-key. */
export interface GoogleUpstreamOptions {
  baseUrl?: string;
  apiKey: string;
  timeoutMs: number;
}

/**
 * An OpenAI chat-completions server: up to and including the version segment, and its key, if any, sent as a bearer
 * token.
 */
export interface OpenAiUpstreamOptions {
  /** e.g. `http://127.0.0.1:8000/v1` (vLLM) or `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Local servers usually need none. */
  apiKey?: string;
  timeoutMs: number;
}

/**
 * The server a remote provider talks to: its base URL (trailing slashes dropped), the headers that carry the
 * key, and one pooled JSON client, which the provider closes with itself.
 */
export class Upstream {
  readonly client: JsonClient;

  private constructor(
    provider: string,
    baseUrl: string,
    readonly auth: Record<string, string>,
    timeoutMs: number,
    readonly base = baseUrl.replace(/\/+$/, ""),
  ) {
    this.client = new JsonClient({ provider, timeoutMs });
  }

  static google(provider: string, options: GoogleUpstreamOptions): Upstream {
    return new Upstream(
      provider,
      options.baseUrl ?? GEMINI_BASE_URL,
      { "x-goog-api-key": options.apiKey },
      options.timeoutMs,
    );
  }

  static openAi(provider: string, options: OpenAiUpstreamOptions): Upstream {
    return new Upstream(
      provider,
      options.baseUrl,
      options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      options.timeoutMs,
    );
  }

  /** `path` (starting with `/`) under the base URL. */
  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** A JSON body POSTed to `path`, with the key; the parsed reply. */
  post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.client.post(this.url(path), this.auth, body, signal);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** How one remote backend speaks `generateContent`: where a request goes, and the request and reply in its dialect. */
export interface Dialect {
  path(model: string): string;
  request(model: string, request: GenerateContentRequest): unknown;
  /** Checks the reply's shape (malformedReply when it is wrong) and reads it as Gemini's. */
  reply(model: string, body: unknown): GenerateContentResponse;
}

/** A provider that forwards each generation to its upstream server, translated at the edge by its dialect. */
export class RemoteProvider implements Provider {
  constructor(
    readonly name: string,
    private readonly upstream: Upstream,
    private readonly dialect: Dialect,
  ) {}

  async generateContent(
    model: string,
    request: GenerateContentRequest,
    signal?: AbortSignal,
  ): Promise<GenerateContentResponse> {
    return this.dialect.reply(
      model,
      await this.upstream.post(this.dialect.path(model), this.dialect.request(model, request), signal),
    );
  }

  close(): Promise<void> {
    return this.upstream.close();
  }
}
