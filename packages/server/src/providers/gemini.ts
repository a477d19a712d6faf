import { malformedReply } from "./failures.js";
import type { Candidate, GenerateContentResponse } from "./provider.js";
import { type GoogleUpstreamOptions, RemoteProvider, Upstream } from "./upstream.js";

/** Forwards to the Gemini REST API; the reply passes through once its shape is checked. */
export class GeminiProvider extends RemoteProvider {
  constructor(options: GoogleUpstreamOptions) {
    super("gemini", Upstream.google("gemini", options), {
      path: (model) => `/v1beta/models/${encodeURIComponent(model)}:generateContent`,
      request: (_model, request) => request,
      reply: checkGeminiResponse,
    });
  }
}

/**
 * Checks what callers rely on (candidates → content → parts) and fills the fields Gemini may leave out, such as
 * the content of a candidate stopped for SAFETY. Everything else Gemini sends is kept.
 */
export function checkGeminiResponse(model: string, body: unknown): GenerateContentResponse {
  if (!isObject(body))
    throw malformedReply(
      "gemini",
      `expected a JSON object, got ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body}`,
    );
  const { candidates, promptFeedback } = body;
  if (candidates === undefined) {
    // No candidates is legitimate only when the prompt itself was blocked, which promptFeedback says.
    if (!isObject(promptFeedback)) throw malformedReply("gemini", "it has neither candidates nor promptFeedback");
    return {
      ...body,
      modelVersion: typeof body.modelVersion === "string" ? body.modelVersion : model,
    } as GenerateContentResponse;
  }
  if (!Array.isArray(candidates)) throw malformedReply("gemini", "candidates is not an array");
  const checked = candidates.map((c, i): Candidate => {
    if (!isObject(c)) throw malformedReply("gemini", `candidates[${i}] is not an object`);
    const content = c.content ?? { role: "model", parts: [] };
    if (!isObject(content)) throw malformedReply("gemini", `candidates[${i}].content is not an object`);
    const parts = content.parts ?? [];
    if (!Array.isArray(parts) || !parts.every(isObject))
      throw malformedReply("gemini", `candidates[${i}].content.parts is not an array of objects`);
    return {
      ...c,
      content: { ...content, role: "model", parts },
      index: typeof c.index === "number" ? c.index : i,
    } as Candidate;
  });
  return {
    ...body,
    candidates: checked,
    modelVersion: typeof body.modelVersion === "string" ? body.modelVersion : model,
  } as GenerateContentResponse;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
