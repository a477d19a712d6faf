import type { VideoOperation as VideoOperationResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import { isVideoDone, videoOperationName, type VideoOperation } from "../../core/videos.js";

const API = "type.googleapis.com/google.ai.generativelanguage.v1beta";

/**
 * The Operation that `operations.getVideosOperation` reads (docs/wire/video.md): once done, its clip's
 * `video.uri` under `response.generateVideoResponse.generatedSamples`. `videoUri` makes that URI from the file.
 */
export function toVideoOperation(video: VideoOperation, videoUri: (fileId: string) => string): VideoOperationResource {
  return {
    name: videoOperationName(video.model, video.id),
    metadata: {
      "@type": `${API}.PredictLongRunningMetadata`,
      createTime: toRfc3339(video.createdAt),
      updateTime: toRfc3339(video.updatedAt),
      ...(video.endedAt !== undefined ? { endTime: toRfc3339(video.endedAt) } : {}),
    },
    done: isVideoDone(video.state),
    ...(video.error !== undefined ? { error: video.error } : {}),
    ...(video.state === "succeeded" && video.fileId !== undefined
      ? {
          response: {
            "@type": `${API}.PredictLongRunningResponse`,
            generateVideoResponse: {
              generatedSamples: [{ video: { uri: videoUri(video.fileId), encoding: "video/mp4" } }],
            },
          },
        }
      : {}),
  };
}
