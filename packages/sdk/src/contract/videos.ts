/**
 * Gemini's video generation (docs/wire.md: video generation; the wire as @google/genai 2.32 speaks it:
 * docs/wire/video.md):
 * `models/{model}:predictLongRunning` and the operation it starts, camelCase.
 */
import { Type, type Static } from "@sinclair/typebox";
import { GeminiWebhookConfig } from "./batches.js";
import { Message, Timestamp } from "./common.js";
import { OperationError } from "./operations.js";

const notSupported = (what: string) =>
  Type.Unknown({
    description: `${what}; a request that carries it is refused (400): Tidings generates from the prompt`,
  });

export const VideoInstance = Message(
  {
    prompt: Type.Optional(Type.String({ description: "what to show; required" })),
    image: Type.Optional(notSupported("a first frame")),
    video: Type.Optional(notSupported("a video to extend")),
    lastFrame: Type.Optional(notSupported("a last frame")),
    referenceImages: Type.Optional(notSupported("reference images")),
  },
  { title: "VideoInstance" },
);

export const VideoParameters = Message({
  sampleCount: Type.Optional(
    Type.Integer({ minimum: 1, description: "videos to generate: Tidings makes 1 per request" }),
  ),
  durationSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "the clip's length" })),
  aspectRatio: Type.Optional(Type.String({ description: '"16:9" or "9:16"' })),
  resolution: Type.Optional(Type.String()),
  personGeneration: Type.Optional(Type.String()),
  negativePrompt: Type.Optional(Type.String()),
  enhancePrompt: Type.Optional(Type.Boolean()),
});
export type VideoParameters = Static<typeof VideoParameters>;

export const PredictLongRunningRequest = Message(
  {
    instances: Type.Array(VideoInstance, { description: "exactly one, with a prompt" }),
    parameters: Type.Optional(VideoParameters),
    webhookConfig: Type.Optional(GeminiWebhookConfig),
  },
  { examples: [{ instances: [{ prompt: "a red ball bouncing" }] }] },
);
export type PredictLongRunningRequest = Static<typeof PredictLongRunningRequest>;

export const VideoOperationParams = Message({
  model: Type.String({ minLength: 1, maxLength: 128 }),
  id: Type.String({ minLength: 1, maxLength: 128 }),
});
export type VideoOperationParams = Static<typeof VideoOperationParams>;

export const GeneratedVideoSample = Message({
  video: Message({
    uri: Type.String({ description: "files/{id}, or its https download URL when the server's public URL is https" }),
    encoding: Type.Optional(Type.String({ description: "the MIME type, video/mp4" })),
  }),
});

export const VideoOperation = Message(
  {
    name: Type.String({ description: "models/{model}/operations/{id}" }),
    metadata: Message({
      "@type": Type.String(),
      createTime: Timestamp(),
      updateTime: Timestamp(),
      endTime: Type.Optional(Timestamp()),
    }),
    done: Type.Boolean(),
    error: Type.Optional(OperationError),
    response: Type.Optional(
      Message({
        "@type": Type.String(),
        generateVideoResponse: Message({ generatedSamples: Type.Array(GeneratedVideoSample) }),
      }),
    ),
  },
  { description: "google.longrunning.Operation of a video generation, as operations.getVideosOperation reads it" },
);
export type VideoOperation = Static<typeof VideoOperation>;
