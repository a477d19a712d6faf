import { malformedReply } from "./failures.js";
import { JsonClient } from "./http-client.js";
import type { Candidate, GenerateContentRequest, GenerateContentResponse, Provider } from "./provider.js";

export const GEMINI_BASE_URL = "https://generativelanguage.googleapis.com";

export interface GeminiOptions {
  /** The host only; `/v1beta/models/…` is appended. */
  baseUrl?: string;
  apiKey: string;
  timeoutMs: number;
}

/** Forwards to the Gemini REST API; the reply passes through once its shape is checked. */
export class GeminiProvider implements Provider {
  readonly name = "gemini";
  private readonly client: JsonClient;
  private readonly base: string;

  constructor(private readonly options: GeminiOptions) {
    this.client = new JsonClient({ provider: this.name, timeoutMs: options.timeoutMs });
    this.base = (options.baseUrl ?? GEMINI_BASE_URL).replace(/\/+$/, "");
  }

  async generateContent(model: string, request: GenerateContentRequest, signal?: AbortSignal): Promise<GenerateContentResponse> {
    const url = `${this.base}/v1beta/models/${encodeURIComponent(model)}:generateContent`;
    const body = await this.client.post(url, { "x-goog-api-key": this.options.apiKey }, request, signal);
    return checkGeminiResponse(model, body);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/**
 * Checks what callers rely on (candidates → content → parts) and fills the fields Gemini may leave out, such as
 * the content of a candidate stopped for SAFETY. Everything else Gemini sends is kept.
 */
export function checkGeminiResponse(model: string, body: unknown): GenerateContentResponse {
  if (!isObject(body)) throw malformedReply("gemini", `expected a JSON object, got ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body}`);
  const { candidates, promptFeedback } = body;
  if (candidates === undefined) {
    // No candidates is legitimate only when the prompt itself was blocked, which promptFeedback says.
    if (!isObject(promptFeedback)) throw malformedReply("gemini", "it has neither candidates nor promptFeedback");
    return { ...body, modelVersion: typeof body.modelVersion === "string" ? body.modelVersion : model } as GenerateContentResponse;
  }
  if (!Array.isArray(candidates)) throw malformedReply("gemini", "candidates is not an array");
  const checked = candidates.map((c, i): Candidate => {
    if (!isObject(c)) throw malformedReply("gemini", `candidates[${i}] is not an object`);
    const content = c.content ?? { role: "model", parts: [] };
    if (!isObject(content)) throw malformedReply("gemini", `candidates[${i}].content is not an object`);
    const parts = content.parts ?? [];
    if (!Array.isArray(parts) || !parts.every(isObject)) throw malformedReply("gemini", `candidates[${i}].content.parts is not an array of objects`);
    return { ...c, content: { ...content, role: "model", parts }, index: typeof c.index === "number" ? c.index : i } as Candidate;
  });
  return { ...body, candidates: checked, modelVersion: typeof body.modelVersion === "string" ? body.modelVersion : model } as GenerateContentResponse;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
