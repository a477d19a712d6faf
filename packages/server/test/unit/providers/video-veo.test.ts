import { afterEach, describe, expect, it, vi } from "vitest";
import type { ProviderError } from "../../../src/providers/provider.js";
import { VeoVideo } from "../../../src/providers/video/veo.js";
import { startUpstream, type Upstream, type UpstreamReply, type UpstreamRequest } from "../../helpers/upstream.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

const NAME = "models/veo-3.0-generate-001/operations/op123";
const CLIP = new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112, 1, 2, 3, 250, 251, 252]);
const running = {
  json: {
    name: NAME,
    metadata: { "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata" },
  },
};
const doneWith = (video: Record<string, unknown>): UpstreamReply => ({
  json: { name: NAME, done: true, response: { generateVideoResponse: { generatedSamples: [{ video }] } } },
});

/** A fake Veo: answers predictLongRunning with NAME, then each poll from `polls` in turn, and serves the file. */
async function fakeVeo(polls: UpstreamReply[]): Promise<Upstream> {
  let poll = 0;
  const upstream = await startUpstream((_n, req: UpstreamRequest) => {
    if (req.method === "POST" && req.path.endsWith(":predictLongRunning")) return { json: { name: NAME } };
    if (req.method === "GET" && req.path === `/v1beta/${NAME}`)
      return polls[Math.min(poll++, polls.length - 1)] ?? "hang";
    if (req.path === "/v1beta/files/vid1:download?alt=media")
      return { status: 302, headers: { location: "/storage/vid1?sig=abc" } };
    if (req.path === "/storage/vid1?sig=abc") return { bytes: CLIP, headers: { "content-type": "video/mp4" } };
    return { status: 404, json: { error: { code: 404, message: `no ${req.path}`, status: "NOT_FOUND" } } };
  });
  open.push(upstream);
  return upstream;
}

function veo(upstream: Upstream, pollIntervalMs = 0): VeoVideo {
  const provider = new VeoVideo({ baseUrl: upstream.origin, apiKey: "AIza-veo", timeoutMs: 5_000, pollIntervalMs });
  open.push(provider);
  return provider;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );

describe("veo video provider", () => {
  it("starts with predictLongRunning, polls the operation until done, and downloads the sample with the key", async () => {
    const upstream = await fakeVeo([running, running, doneWith({ uri: "files/vid1" })]);
    const provider = veo(upstream);
    const job = await provider.start({
      model: "models/veo-3.0-generate-001",
      prompt: "a red ball",
      parameters: { durationSeconds: 4, aspectRatio: "16:9", sampleCount: 1 },
    });
    expect(job).toEqual({ handle: NAME });
    const video = await provider.finish(job);
    expect(Buffer.from(video.bytes).equals(Buffer.from(CLIP))).toBe(true);
    expect(video.mimeType).toBe("video/mp4");

    const calls = upstream.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls).toEqual([
      "POST /v1beta/models/veo-3.0-generate-001:predictLongRunning",
      `GET /v1beta/${NAME}`,
      `GET /v1beta/${NAME}`,
      `GET /v1beta/${NAME}`,
      "GET /v1beta/files/vid1:download?alt=media",
      "GET /storage/vid1?sig=abc",
    ]);
    expect(upstream.requests[0]?.body).toEqual({
      instances: [{ prompt: "a red ball" }],
      parameters: { durationSeconds: 4, aspectRatio: "16:9", sampleCount: 1 },
    });
    expect(upstream.requests.every((r) => r.headers["x-goog-api-key"] === "AIza-veo")).toBe(true);
  });

  it("reads an absolute sample URI and inlined bytes, and sends the key to no other origin", async () => {
    const elsewhere = await startUpstream(() => ({
      bytes: CLIP,
      headers: { "content-type": "video/mp4; codecs=avc1" },
    }));
    open.push(elsewhere);
    const upstream = await fakeVeo([doneWith({ uri: `${elsewhere.origin}/signed/clip.mp4?token=t` })]);
    const video = await veo(upstream).finish({ handle: NAME });
    expect(Buffer.from(video.bytes).equals(Buffer.from(CLIP))).toBe(true);
    expect(video.mimeType).toBe("video/mp4");
    expect(elsewhere.requests[0]?.headers["x-goog-api-key"]).toBeUndefined();

    const inline = await fakeVeo([
      doneWith({ encodedVideo: Buffer.from(CLIP).toString("base64"), encoding: "video/webm" }),
    ]);
    const inlined = await veo(inline).finish({ handle: NAME });
    expect([Buffer.from(inlined.bytes).equals(Buffer.from(CLIP)), inlined.mimeType]).toEqual([true, "video/webm"]);
  });

  it("keeps polling through a transient 503", async () => {
    const upstream = await fakeVeo([
      running,
      { status: 503, json: { error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } } },
      doneWith({ uri: "files/vid1" }),
    ]);
    const video = await veo(upstream).finish({ handle: NAME });
    expect(video.bytes.length).toBe(CLIP.length);
  });

  it("reports a failed or filtered generation as an error saying why", async () => {
    const failed = await fakeVeo([
      {
        json: {
          name: NAME,
          done: true,
          error: { code: 3, message: "The prompt could not be submitted.", status: "INVALID_ARGUMENT" },
        },
      },
    ]);
    expect(await failure(veo(failed).finish({ handle: NAME }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      status: 400,
      message: expect.stringContaining("The prompt could not be submitted."),
    });
    const filtered = await fakeVeo([
      {
        json: {
          name: NAME,
          done: true,
          response: {
            generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: ["celebrity likeness"] },
          },
        },
      },
    ]);
    expect(await failure(veo(filtered).finish({ handle: NAME }))).toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "instances[0].prompt",
      message: expect.stringContaining("celebrity likeness"),
    });
    const broken = await fakeVeo([{ json: { name: NAME, done: true } }]);
    expect(await failure(veo(broken).finish({ handle: NAME }))).toMatchObject({
      code: "INTERNAL",
      message: expect.stringContaining("malformed"),
    });
  });

  it("stops polling at once when cancelled", async () => {
    const upstream = await fakeVeo([running]);
    const controller = new AbortController();
    const pending = veo(upstream, 3_600_000).finish({ handle: NAME }, controller.signal);
    await vi.waitFor(() => expect(upstream.requests).toHaveLength(1));
    controller.abort();
    expect((await failure(pending)).code).toBe("CANCELLED");
    expect(upstream.requests).toHaveLength(1);
  });
});
