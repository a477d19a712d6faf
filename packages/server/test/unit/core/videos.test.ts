import { describe, expect, it } from "vitest";
import { finishVideo, isVideoDone, videoOperationName, type VideoOperation } from "../../../src/core/videos.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const video = (overrides: Partial<VideoOperation> = {}): VideoOperation => ({
  id: "v1",
  projectId: "p",
  model: "veo-3.0-generate-001",
  state: "running",
  prompt: "a red ball",
  handle: "h",
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

describe("finishVideo (a video operation's ending)", () => {
  it("succeeds once, pointing the event at the file by its name and by the URL that downloads it", () => {
    const url = "https://tidings.example/v1beta/files/f1:download?alt=media";
    const ended = finishVideo(
      video({ webhookConfig: { uris: ["https://a.example/v"], user_metadata: { job: 7 } } }),
      { kind: "succeed", fileId: "f1", videoUri: url },
      T0 + 3,
    );
    expect(ended?.video).toMatchObject({ state: "succeeded", fileId: "f1", endedAt: T0 + 3, updatedAt: T0 + 3 });
    expect(ended?.event).toEqual({
      type: "video.generated",
      version: "v1",
      timestamp: "2026-05-04T12:00:00.003Z",
      data: {
        id: "models/veo-3.0-generate-001/operations/v1",
        output_file_uri: "files/f1",
        file_name: "files/f1",
        video_uri: url,
        user_metadata: { job: 7 },
      },
    });
    expect(finishVideo(ended!.video, { kind: "fail", error: { code: 13, message: "late" } }, T0 + 4)).toBeUndefined();
  });

  it("fails with the error on the operation, and announces it with video.failed", () => {
    const ended = finishVideo(
      video({ state: "pending", handle: undefined }),
      { kind: "fail", error: { code: 3, message: "prompt refused" } },
      T0 + 1,
    );
    expect(ended?.video).toEqual(
      expect.objectContaining({ state: "failed", error: { code: 3, message: "prompt refused" }, endedAt: T0 + 1 }),
    );
    expect(ended?.event).toMatchObject({
      type: "video.failed",
      data: { error_code: 3, error_message: "prompt refused" },
    });
    expect(
      isVideoDone("failed") && isVideoDone("succeeded") && !isVideoDone("pending") && !isVideoDone("running"),
    ).toBe(true);
  });

  it("names the operation as @google/genai polls it", () => {
    expect(videoOperationName("veo-3.0-generate-001", "abc")).toBe("models/veo-3.0-generate-001/operations/abc");
  });
});
