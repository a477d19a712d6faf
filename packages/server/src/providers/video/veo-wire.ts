import { malformedReply } from "../failures.js";
import { ProviderError } from "../provider.js";

/**
 * Gemini's long-running video operation (docs/wire/video.md), read defensively and free of I/O: the name to
 * poll, and once done either the sample's location or why there is none.
 */

const PROVIDER = "veo";

export type VeoOperation =
  | { name: string; done: false }
  | { name: string; done: true; video: { uri: string; mimeType?: string } | { bytes: Buffer; mimeType?: string } };

export function readOperation(body: unknown): VeoOperation {
  if (!isObject(body)) throw malformedReply(PROVIDER, "expected an Operation object");
  const { name } = body;
  if (typeof name !== "string" || !/^[\w.-]+(\/[\w.-]+)*$/.test(name))
    throw malformedReply(PROVIDER, `the Operation's name ${JSON.stringify(name)} is not a resource name`);
  if (body.done !== true) return { name, done: false };
  if (isObject(body.error)) throw operationError(body.error);
  const response = isObject(body.response) ? body.response.generateVideoResponse : undefined;
  if (!isObject(response))
    throw malformedReply(PROVIDER, "a done Operation has neither error nor response.generateVideoResponse");
  const samples = Array.isArray(response.generatedSamples) ? response.generatedSamples : [];
  const video = isObject(samples[0]) && isObject(samples[0].video) ? samples[0].video : undefined;
  if (video === undefined) {
    const reasons = Array.isArray(response.raiMediaFilteredReasons) ? response.raiMediaFilteredReasons.join("; ") : "";
    if (reasons !== "" || typeof response.raiMediaFilteredCount === "number") {
      throw new ProviderError(
        `instances[0].prompt: Veo filtered the video out${reasons === "" ? "" : `: ${reasons}`}`,
        {
          status: 400,
          code: "INVALID_ARGUMENT",
          retryable: false,
          field: "instances[0].prompt",
        },
      );
    }
    throw malformedReply(PROVIDER, "generateVideoResponse.generatedSamples[0].video is missing");
  }
  const mimeType = typeof video.encoding === "string" ? { mimeType: video.encoding } : {};
  if (typeof video.uri === "string" && video.uri !== "")
    return { name, done: true, video: { uri: video.uri, ...mimeType } };
  if (typeof video.encodedVideo === "string")
    return { name, done: true, video: { bytes: Buffer.from(video.encodedVideo, "base64"), ...mimeType } };
  throw malformedReply(PROVIDER, "generatedSamples[0].video has neither uri nor encodedVideo");
}

/** A failed operation: Gemini's google.rpc.Status, phrased for Tidings' caller. Starting again would fail alike. */
function operationError(error: Record<string, unknown>): ProviderError {
  const message = `Veo failed the generation: ${typeof error.message === "string" ? error.message : "no reason given"}`;
  // google.rpc.Code 3 INVALID_ARGUMENT, 9 FAILED_PRECONDITION: the request is at fault.
  if (error.code === 3 || error.code === 9)
    return new ProviderError(message, { status: 400, code: "INVALID_ARGUMENT", retryable: false });
  return new ProviderError(message, { status: 502, code: "INTERNAL", retryable: false });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
