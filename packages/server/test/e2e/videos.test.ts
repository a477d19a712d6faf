/**
 * Video generation end to end (docs/wire.md: video generation, docs/wire/video.md): @google/genai 2.32's
 * models.generateVideos
 * with a dynamic webhookConfig, operations.getVideosOperation, files.download, and a real decoder reading the
 * clip; static webhooks, the polling surface and the 400s; 3.x users reach the same wire over REST.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { GoogleGenAI as GoogleGenAI3 } from "@google/genai-3";
import { verifyWebhook } from "@tidings/sdk/verify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeMp4 } from "../helpers/mp4-frames.js";
import { startUpstream } from "../helpers/upstream.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

const MODEL = "veo-3.0-generate-001";
let server: TestServer;
let receiver: Receiver;
const dirs: string[] = [];
beforeAll(async () => {
  server = await startTidings();
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const delivered = (type: string, id: string) =>
  receiver.received.find((r) => r.body.includes(`"type":"${type}"`) && r.body.includes(`"id":"${id}"`));

describe("@google/genai 2.32 models.generateVideos against Tidings", () => {
  it("pushes video.generated with user_metadata to the webhookConfig; getVideosOperation agrees; the download decodes to many frames", async () => {
    const ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
    const userMetadata = { job: 7, tenant: "acme" };
    const started = await ai.models.generateVideos({
      model: MODEL,
      source: { prompt: "a red ball bouncing" },
      config: {
        numberOfVideos: 1,
        durationSeconds: 2,
        aspectRatio: "16:9",
        webhookConfig: { uris: [receiver.url], userMetadata },
      },
    });
    expect(started.name).toMatch(new RegExp(`^models/${MODEL}/operations/[a-z0-9]{36}$`));

    await waitUntil(() => delivered("video.generated", started.name!) !== undefined, 30_000, "video.generated");
    const got = delivered("video.generated", started.name!)!;
    const event = await verifyWebhook(got.body, got.headers as Record<string, string>, {
      jwks: `${server.url}/.well-known/jwks.json`,
      audience: receiver.url,
    });
    if (event.type !== "video.generated") throw new Error(`unexpected ${event.type}`);
    const fileId = event.data.file_name.slice("files/".length);
    expect(event.data).toEqual({
      id: started.name,
      output_file_uri: `files/${fileId}`,
      file_name: expect.stringMatching(/^files\/[a-z0-9]+$/),
      // What the cookbook reads, and what Veo's video.uri is: the URL that downloads the clip.
      video_uri: `${server.url}/v1beta/files/${fileId}:download?alt=media`,
      user_metadata: userMetadata,
    });

    const operation = await ai.operations.getVideosOperation({ operation: started });
    expect(operation.done).toBe(true);
    const video = operation.response?.generatedVideos?.[0]?.video;
    expect(video).toEqual({ uri: event.data.video_uri, mimeType: "video/mp4" });
    // Veo's REST docs fetch it with `curl -L -H "x-goog-api-key: $KEY" "$video_uri"`: so does fetch, and gets the MP4.
    const fetched = await fetch(video!.uri!, { headers: { "x-goog-api-key": server.key } });
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("content-type")).toMatch(/^video\/mp4/);
    const bytes = new Uint8Array(await fetched.arrayBuffer());
    expect(Buffer.from(bytes.subarray(4, 8)).toString("latin1")).toBe("ftyp");
    expect((await fetch(video!.uri!)).status).toBe(401);

    const dir = mkdtempSync(join(tmpdir(), "tidings-video-"));
    dirs.push(dir);
    await ai.files.download({ file: video!, downloadPath: join(dir, "clip.mp4") });
    const clip = await decodeMp4(readFileSync(join(dir, "clip.mp4")));
    expect(clip.codec).toMatch(/^avc1\./);
    expect(clip.frames.length).toBeGreaterThan(1);
    expect(new Set(clip.frames).size).toBeGreaterThan(1);

    const file = await ai.files.get({ name: event.data.file_name });
    expect(file).toMatchObject({ mimeType: "video/mp4", source: "GENERATED" });
  });

  it("sends video.generated to static webhooks subscribed to it, and lists the operation on the polling surface", async () => {
    const hook = await registerWebhook(server, receiver.url, ["video.generated"]);
    const ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
    const started = await ai.models.generateVideos({
      model: MODEL,
      source: { prompt: "a sunrise" },
      config: { durationSeconds: 1 },
    });
    await waitUntil(() => delivered("video.generated", started.name!) !== undefined, 30_000, "video.generated");
    const event = verifyWithReferenceLibraries(hook.secret, delivered("video.generated", started.name!)!) as {
      data: Record<string, unknown>;
    };
    expect(Object.keys(event.data).sort()).toEqual(["file_name", "id", "output_file_uri", "video_uri"]);

    const listed = await server.api("GET", "/v1/operations?filter=kind=video AND done=true&page_size=1000");
    expect(listed.status).toBe(200);
    expect(listed.body.operations.map((o: { name: string }) => o.name)).toContain(started.name);
    expect(
      listed.body.operations.every((o: { name: string }) => o.name.startsWith(`models/${MODEL}/operations/`)),
    ).toBe(true);
    await server.api("DELETE", `/v1/webhooks/${hook.id}`);
  });
});

describe("video generation over REST (as 3.x users reach it)", () => {
  it("starts under /v1, is polled by its name, and refuses what it cannot do with 400s naming the field", async () => {
    const started = await server.api("POST", `/v1/models/${MODEL}:predictLongRunning`, {
      instances: [{ prompt: "waves" }],
      parameters: { durationSeconds: 1, aspectRatio: "9:16" },
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      done: false,
      metadata: { "@type": expect.stringContaining("PredictLongRunningMetadata") },
    });
    let done: any;
    await waitUntil(
      async () => (done = (await server.api("GET", `/v1/${started.body.name}`)).body).done === true,
      30_000,
      "the video",
    );
    const uri = done.response.generateVideoResponse.generatedSamples[0].video.uri as string;
    expect(done.response.generateVideoResponse.generatedSamples[0].video).toEqual({
      uri: expect.stringMatching(new RegExp(`^${server.url}/v1beta/files/[a-z0-9]+:download\\?alt=media$`)),
      encoding: "video/mp4",
    });
    const bytes = await fetch(uri, { headers: { "x-goog-api-key": server.key } });
    expect((await decodeMp4(new Uint8Array(await bytes.arrayBuffer()))).frames.length).toBeGreaterThan(1);
    // 3.x's files.download takes the same URI, on this plain-http server too.
    const dir = mkdtempSync(join(tmpdir(), "tidings-video-3-"));
    dirs.push(dir);
    await new GoogleGenAI3({ apiKey: server.key, httpOptions: { baseUrl: server.url } }).files.download({
      file: { uri },
      downloadPath: join(dir, "clip.mp4"),
    });
    expect((await decodeMp4(readFileSync(join(dir, "clip.mp4")))).frames.length).toBeGreaterThan(1);

    const other = started.body.name.replace(MODEL, "veo-2.0-generate-001");
    expect((await server.api("GET", `/v1/${other}`)).status).toBe(404);
    const field = async (body: unknown) => {
      const res = await server.api("POST", `/v1/models/${MODEL}:predictLongRunning`, body);
      expect(res.status).toBe(400);
      return res.body.error.details[0].fieldViolations[0].field;
    };
    expect(await field({ instances: [] })).toBe("instances");
    expect(await field({ instances: [{ prompt: " " }] })).toBe("instances[0].prompt");
    expect(
      await field({ instances: [{ prompt: "x", image: { bytesBase64Encoded: "AA==", mimeType: "image/png" } }] }),
    ).toBe("instances[0].image");
    expect(await field({ instances: [{ prompt: "x" }], parameters: { sampleCount: 2 } })).toBe(
      "parameters.sampleCount",
    );
    expect(await field({ instances: [{ prompt: "x" }], webhookConfig: { uris: ["ftp://example.com/x"] } })).toBe(
      "webhookConfig.uris[0]",
    );
  });
});

describe("a video generation when the server stops midway", () => {
  let slow: TestServer | undefined;
  afterEach(async () => {
    await slow?.close();
  });

  it("is finished by the next start from what was stored", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-video-restart-"));
    const first = await startTidings({ dataDir, env: { TIDINGS_LOCAL_DELAY_MS: "3600000" } });
    const started = await first.api("POST", `/v1/models/${MODEL}:predictLongRunning`, {
      instances: [{ prompt: "slow motion" }],
      parameters: { durationSeconds: 1 },
    });
    await waitUntil(
      async () =>
        (await first.store.videos.get(first.projectId, started.body.name.split("/").at(-1)))?.state === "running",
      10_000,
      "the job to start",
    );
    await first.stop();
    slow = await startTidings({ dataDir });
    await waitUntil(
      async () => (await slow!.api("GET", `/v1/${started.body.name}`)).body.done === true,
      30_000,
      "the video after the restart",
    );
    expect(
      (await slow.api("GET", `/v1/${started.body.name}`)).body.response.generateVideoResponse.generatedSamples,
    ).toHaveLength(1);
  });
});

describe("a video generation that fails", () => {
  it("is announced with video.failed and its error, to the request's webhookConfig with its user_metadata", async () => {
    const veo = await startUpstream((_n, req) => {
      if (req.method === "POST" && req.path.endsWith(":predictLongRunning"))
        return { json: { name: "models/veo-3.0-generate-001/operations/op9" } };
      return {
        json: {
          name: "models/veo-3.0-generate-001/operations/op9",
          done: true,
          error: { code: 3, message: "the prompt was filtered" },
        },
      };
    });
    const failing = await startTidings({
      env: {
        TIDINGS_VIDEO_PROVIDER: "veo",
        TIDINGS_PROVIDER_BASE_URL: veo.origin,
        TIDINGS_PROVIDER_API_KEY: "AIza-fake",
      },
    });
    const hooks = await startReceiver();
    try {
      const started = await failing.api("POST", `/v1/models/${MODEL}:predictLongRunning`, {
        instances: [{ prompt: "something filtered" }],
        webhookConfig: { uris: [hooks.url], userMetadata: { order: "o-9" } },
      });
      expect(started.status).toBe(200);
      const [got] = await hooks.waitFor(1);
      const event = await verifyWebhook(got!.body, got!.headers as Record<string, string>, {
        jwks: `${failing.url}/.well-known/jwks.json`,
        audience: hooks.url,
      });
      expect(event).toMatchObject({
        type: "video.failed",
        data: {
          id: started.body.name,
          error_code: 3,
          error_message: expect.stringContaining("filtered"),
          user_metadata: { order: "o-9" },
        },
      });
      expect((await failing.api("GET", `/v1/${started.body.name}`)).body).toMatchObject({
        done: true,
        error: { code: 3 },
      });
    } finally {
      await failing.close();
      await hooks.close();
      await veo.close();
    }
  });
});
