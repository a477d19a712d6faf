import { describe, expect, it } from "vitest";
import type { VideoOperation } from "../../../src/core/videos.js";
import { T0, video, type StoreFixture } from "./fixtures.js";

export function describeVideos(f: StoreFixture): void {
  describe("video operations", () => {
    it("stores an operation with its request and webhook_config, and records its job, file and end", async () => {
      const { store, projectId } = f;
      const pending = video(projectId, {
        parameters: { durationSeconds: 4, aspectRatio: "16:9" },
        webhookConfig: { uris: ["https://a.example/v"], user_metadata: { job: 7 } },
      });
      await store.videos.insert(pending);
      expect(await store.videos.get(projectId, pending.id)).toEqual(pending);
      expect(await store.videos.get("other-project", pending.id)).toBeUndefined();
      const running: VideoOperation = {
        ...pending,
        state: "running",
        handle: "models/veo/operations/upstream-1",
        updatedAt: T0 + 1,
      };
      await store.videos.update(running);
      const done: VideoOperation = { ...running, state: "succeeded", fileId: "f1", updatedAt: T0 + 2, endedAt: T0 + 2 };
      await store.transaction(async (tx) => {
        expect(await tx.videos.getForUpdate(projectId, pending.id)).toEqual(running);
        await tx.videos.update(done);
      });
      expect(await store.videos.get(projectId, pending.id)).toEqual(done);
      const failed = video(projectId, { state: "failed", error: { code: 3, message: "refused" }, endedAt: T0 });
      await store.videos.insert(failed);
      expect(await store.videos.get(projectId, failed.id)).toEqual(failed);
    });

    it("leases unfinished operations, oldest first; leases run out, and end with the operation", async () => {
      const { store, projectId } = f;
      const first = video(projectId, { createdAt: T0 });
      const second = video(projectId, { createdAt: T0 + 1, state: "running", handle: "h" });
      const ended = video(projectId, { createdAt: T0 - 1, state: "succeeded", fileId: "f" });
      for (const v of [first, second, ended]) await store.videos.insert(v);
      expect((await store.videos.claim(T0 + 10, T0 + 1000))?.id).toBe(first.id);
      expect(await store.videos.claim(T0 + 10, T0 + 1000)).toMatchObject({ id: second.id, handle: "h" });
      expect(await store.videos.claim(T0 + 10, T0 + 1000)).toBeUndefined();
      expect(await store.videos.renewLease(first.id, T0 + 5000)).toBe(true);
      expect((await store.videos.claim(T0 + 1001, T0 + 2000))?.id).toBe(second.id);
      await store.videos.update({
        ...second,
        state: "failed",
        error: { code: 13, message: "x" },
        updatedAt: T0 + 3,
        endedAt: T0 + 3,
      });
      // A renewal says whether the lease is still held: not once the operation ended, nor for one that is gone.
      expect(await store.videos.renewLease(second.id, T0 + 9000)).toBe(false);
      expect(await store.videos.renewLease("no-such-video", T0 + 9000)).toBe(false);
      expect(await store.videos.releaseAll()).toBe(1);
      expect((await store.videos.claim(T0 + 1001, T0 + 2000))?.id).toBe(first.id);
    });
  });
}
