import { describe, expect, it } from "vitest";
import type { ProviderError } from "../../../src/providers/provider.js";
import { LocalVideo } from "../../../src/providers/video/local.js";
import { decodeMp4 } from "../../helpers/mp4-frames.js";

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );
const generate = async (provider: LocalVideo, prompt: string, parameters = {}) =>
  provider.finish(await provider.start({ model: "veo-3.0-generate-001", prompt, parameters }));

describe("local video provider", () => {
  it("renders a real H.264 MP4 that a decoder reads frame by frame, the frames differing as the clip plays", async () => {
    const video = await generate(new LocalVideo({ delayMs: 0 }), "a red ball bouncing");
    expect(video.mimeType).toBe("video/mp4");
    expect(Buffer.from(video.bytes.subarray(4, 8)).toString("latin1")).toBe("ftyp");
    const clip = await decodeMp4(video.bytes);
    expect(clip.codec).toMatch(/^avc1\./);
    expect([clip.width, clip.height]).toEqual([256, 144]);
    expect(clip.frames).toHaveLength(36); // 3 s at 12 fps
    expect(new Set(clip.frames).size).toBeGreaterThan(30);
    expect(clip.created.getTime()).toBe(Date.UTC(1904, 0, 1)); // no wall-clock stamp: same prompt, same bytes
  });

  it("is deterministic in the prompt and follows aspectRatio and durationSeconds", async () => {
    const local = new LocalVideo({ delayMs: 0 });
    const a = await generate(local, "sunrise over the sea");
    expect(Buffer.from((await generate(local, "sunrise over the sea")).bytes).equals(Buffer.from(a.bytes))).toBe(true);
    expect(Buffer.from((await generate(local, "sunset over the sea")).bytes).equals(Buffer.from(a.bytes))).toBe(false);
    const portrait = await decodeMp4(
      (await generate(local, "tall", { aspectRatio: "9:16", durationSeconds: 2 })).bytes,
    );
    expect([portrait.width, portrait.height, portrait.frames.length]).toEqual([144, 256, 24]);
  });

  it("refuses an empty prompt, and stops when cancelled during its delay or its frames", async () => {
    const local = new LocalVideo({ delayMs: 0 });
    expect(await failure(local.start({ model: "m", prompt: "  " }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "instances[0].prompt",
    });

    const slow = new LocalVideo({ delayMs: 3_600_000 });
    const waiting = new AbortController();
    const pending = slow.finish(await slow.start({ model: "m", prompt: "never" }), waiting.signal);
    waiting.abort();
    expect((await failure(pending)).code).toBe("CANCELLED");

    const rendering = new AbortController();
    const job = await local.start({ model: "m", prompt: "cut short", parameters: { durationSeconds: 8 } });
    const midway = local.finish(job, rendering.signal);
    setImmediate(() => rendering.abort());
    expect((await failure(midway)).code).toBe("CANCELLED");
    // The encoder is left clean: the next clip renders normally.
    expect((await decodeMp4((await generate(local, "after")).bytes)).frames).toHaveLength(36);
  });
});
