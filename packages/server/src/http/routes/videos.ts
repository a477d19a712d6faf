import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ModelParams, PredictLongRunningRequest, VideoOperation, VideoOperationParams } from "@tidings/sdk/contract";
import type { VideoService } from "../../services/videos.js";
import { toVideoOperation } from "../views/videos.js";
import { customMethod } from "./verb.js";
import { replies } from "./replies.js";

/**
 * Gemini's video generation (docs/wire.md: video generation, docs/wire/video.md): `models/{model}:predictLongRunning`
 * starts an
 * operation that `operations.getVideosOperation` polls by name; video.generated announces the clip, a file
 * the Files API downloads.
 */
export const videoRoutes: FastifyPluginAsyncTypebox<{ videos: VideoService }> = async (app, { videos }) => {
  const tags = ["videos"];
  const ok = replies(VideoOperation);
  const view = (video: Parameters<typeof toVideoOperation>[0]) =>
    toVideoOperation(video, (fileId) => videos.videoUri(fileId));

  app.post(
    customMethod("models", "predictLongRunning"),
    {
      schema: {
        tags,
        summary: "Generate a video from a prompt; video.generated announces it (to webhookConfig's URIs when given)",
        params: ModelParams,
        body: PredictLongRunningRequest,
        response: ok,
      },
      config: { idempotent: { scope: "project" } },
    },
    async (req) => view(await videos.generate(req.projectId, req.params.id, req.body)),
  );

  app.get(
    "/models/:model/operations/:id",
    {
      schema: {
        tags,
        summary: "A video generation, by the name predictLongRunning gave it",
        params: VideoOperationParams,
        response: ok,
      },
    },
    async (req) => view(await videos.get(req.projectId, req.params.model, req.params.id)),
  );
};
