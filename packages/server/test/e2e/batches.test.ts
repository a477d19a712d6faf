import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { GoogleGenAI as GoogleGenAI3 } from "@google/genai-3";
import { verifyWebhook } from "@tidings/sdk/verify";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { registerWebhook, startTidings, storedBatchRows, waitUntil, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

let server: TestServer | undefined;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const close of closers.splice(0).reverse()) await close();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tidings-batch-"));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function jsonl(count: number, extra: string[] = []): string {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ key: `k${i}`, request: { contents: [{ role: "user", parts: [{ text: `prompt ${i}` }] }] } }),
  );
  return `${[...lines, ...extra].join("\n")}\n`;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  closers.push(() => r.close());
  return r;
}

async function fakeOpenAI(delayMs: number): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI(delayMs);
  closers.push(() => fake.close());
  return fake;
}

const genai = (s: TestServer) => new GoogleGenAI({ apiKey: s.key, httpOptions: { baseUrl: s.url } });

describe("batches through @google/genai", () => {
  it("runs 1,000 requests from an uploaded JSONL file and announces batch.succeeded to a verified static webhook", async () => {
    server = await startTidings();
    const hooks = await receiver();
    const webhook = await registerWebhook(server, hooks.url, ["batch.*"]);
    const ai = genai(server);
    const path = join(tempDir(), "in.jsonl");
    writeFileSync(path, jsonl(1000));
    const file = await ai.files.upload({ file: path, config: { mimeType: "application/jsonl", displayName: "in" } });
    const job = await ai.batches.create({
      model: "gemini-2.5-flash",
      src: file.name!,
      config: { displayName: "thousand" },
    });
    expect(job.name).toMatch(/^batches\/[a-z0-9]+$/);
    expect(["JOB_STATE_PENDING", "JOB_STATE_RUNNING"]).toContain(job.state);

    const [got] = await hooks.waitFor(1, 30_000);
    const event = verifyWithReferenceLibraries(webhook.secret, got!) as {
      type: string;
      data: { id: string; output_file_uri: string };
    };
    expect(event).toMatchObject({ type: "batch.succeeded", data: { id: job.name } });

    const done = await ai.batches.get({ name: job.name! });
    expect(done.state).toBe("JOB_STATE_SUCCEEDED");
    expect(done.dest?.fileName).toBe(event.data.output_file_uri);
    const rest = await server.api("GET", `/v1/${job.name}`);
    expect(rest.body.metadata.batchStats).toEqual({
      requestCount: "1000",
      successfulRequestCount: "1000",
      failedRequestCount: "0",
      pendingRequestCount: "0",
    });

    const out = join(tempDir(), "out.jsonl");
    await ai.files.download({ file: event.data.output_file_uri, downloadPath: out });
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; response?: { candidates: unknown[] } });
    expect(lines).toHaveLength(1000);
    expect(new Set(lines.map((l) => l.key)).size).toBe(1000);
    expect(lines.every((l) => (l.response?.candidates.length ?? 0) > 0)).toBe(true);
  });

  it("runs inline requests and sends batch.succeeded to a dynamic URI with its user metadata", async () => {
    server = await startTidings();
    const dynamic = await receiver();
    const ai = genai(server);
    const job = await ai.batches.create({
      model: "gemini-2.5-flash",
      src: [
        { contents: [{ role: "user", parts: [{ text: "one" }] }], metadata: { key: "first" } },
        { contents: [{ role: "user", parts: [{ text: "two" }] }], metadata: { key: "second" } },
      ],
      config: { displayName: "inline", webhookConfig: { uris: [dynamic.url], userMetadata: { order: "o-7" } } },
    });
    const [got] = await dynamic.waitFor(1, 20_000);
    const event = await verifyWebhook(got!.body, got!.headers as Record<string, string>, {
      jwks: `${server.url}/.well-known/jwks.json`,
      audience: dynamic.url,
    });
    expect(event).toMatchObject({ type: "batch.succeeded", data: { id: job.name, user_metadata: { order: "o-7" } } });
    const done = await ai.batches.get({ name: job.name! });
    expect(done.state).toBe("JOB_STATE_SUCCEEDED");
    const inline = done.dest?.inlinedResponses ?? [];
    expect(inline.map((r) => (r.metadata as { key: string }).key)).toEqual(["first", "second"]);
    expect(inline.every((r) => typeof r.response?.candidates?.[0]?.content?.parts?.[0]?.text === "string")).toBe(true);
  });

  it("cancel while running sends batch.cancelled and the provider gets no further requests", async () => {
    const fake = await fakeOpenAI(100);
    server = await startTidings({
      env: { TIDINGS_PROVIDER: "openai", TIDINGS_PROVIDER_BASE_URL: fake.url, TIDINGS_PROVIDER_CONCURRENCY: "4" },
    });
    const hooks = await receiver();
    await registerWebhook(server, hooks.url, ["batch.*"]);
    const ai = genai(server);
    const path = join(tempDir(), "in.jsonl");
    writeFileSync(path, jsonl(200));
    const file = await ai.files.upload({ file: path, config: { mimeType: "application/jsonl" } });
    const job = await ai.batches.create({ model: "m", src: file.name! });
    await waitUntil(() => fake.prompts.length >= 8, 10_000, "the batch to be running");
    expect((await ai.batches.get({ name: job.name! })).state).toBe("JOB_STATE_RUNNING");
    await ai.batches.cancel({ name: job.name! });
    const [got] = await hooks.waitFor(1);
    expect(JSON.parse(got!.body)).toMatchObject({ type: "batch.cancelled", data: { id: job.name } });
    // Requests already on the wire may finish; nothing new starts after them.
    await new Promise((r) => setTimeout(r, 150));
    const afterCancel = fake.prompts.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(fake.prompts.length).toBe(afterCancel);
    expect(afterCancel).toBeLessThan(200);
    expect((await ai.batches.get({ name: job.name! })).state).toBe("JOB_STATE_CANCELLED");
  });

  it("the 3.x client (which calls /v1) uploads, batches and downloads too", async () => {
    server = await startTidings();
    const ai = new GoogleGenAI3({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
    const path = join(tempDir(), "in.jsonl");
    writeFileSync(path, jsonl(5));
    const file = await ai.files.upload({ file: path, config: { mimeType: "application/jsonl" } });
    const job = await ai.batches.create({ model: "gemini-2.5-flash", src: file.name! });
    await waitUntil(
      async () => (await ai.batches.get({ name: job.name! })).state === "JOB_STATE_SUCCEEDED",
      20_000,
      "the batch to succeed",
    );
    const done = await ai.batches.get({ name: job.name! });
    const out = join(tempDir(), "out.jsonl");
    await ai.files.download({ file: done.dest!.fileName!, downloadPath: out });
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(5);
  });

  it("a batch past its deadline expires with batch.expired", async () => {
    server = await startTidings({ env: { TIDINGS_LOCAL_DELAY_MS: "200", TIDINGS_PROVIDER_CONCURRENCY: "2" } });
    const hooks = await receiver();
    await registerWebhook(server, hooks.url, ["batch.expired"]);
    const res = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: {
        displayName: "slow",
        ttl: "1s",
        inputConfig: {
          requests: {
            requests: Array.from({ length: 40 }, (_, i) => ({
              request: { contents: [{ parts: [{ text: `p${i}` }] }] },
              metadata: { key: `k${i}` },
            })),
          },
        },
      },
    });
    expect(res.status).toBe(200);
    const [got] = await hooks.waitFor(1, 10_000);
    expect(JSON.parse(got!.body)).toMatchObject({ type: "batch.expired", data: { id: res.body.name } });
    expect((await server.api("GET", `/v1/${res.body.name}`)).body.metadata.state).toBe("BATCH_STATE_EXPIRED");
  });

  it("an invalid JSONL line becomes an error line; unknown and non-JSONL files are a clear 400", async () => {
    server = await startTidings();
    const ai = genai(server);
    const path = join(tempDir(), "in.jsonl");
    writeFileSync(path, jsonl(3, ["{not json", '{"key":"nokey-request"}']));
    const file = await ai.files.upload({ file: path, config: { mimeType: "application/jsonl" } });
    const job = await ai.batches.create({ model: "m", src: file.name! });
    await waitUntil(
      async () => (await ai.batches.get({ name: job.name! })).state === "JOB_STATE_SUCCEEDED",
      20_000,
      "the batch to succeed",
    );
    const rest = await server.api("GET", `/v1/${job.name}`);
    expect(rest.body.metadata.batchStats).toMatchObject({
      requestCount: "5",
      successfulRequestCount: "3",
      failedRequestCount: "2",
    });
    const out = join(tempDir(), "out.jsonl");
    await ai.files.download({ file: rest.body.metadata.output.responsesFile, downloadPath: out });
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; error?: { code: number; message: string } });
    expect(lines.map((l) => l.key)).toEqual(["k0", "k1", "k2", "line-4", "nokey-request"]);
    expect(lines[3]!.error?.message).toMatch(/not valid JSON/);

    const unknown = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { inputConfig: { fileName: "files/doesnotexist" } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].fieldViolations[0].field).toBe("batch.inputConfig.fileName");
    const pngPath = join(tempDir(), "x.png");
    writeFileSync(pngPath, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const png = await ai.files.upload({ file: pngPath, config: { mimeType: "image/png" } });
    const notJsonl = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { inputConfig: { fileName: png.name } },
    });
    expect(notJsonl.status).toBe(400);
    expect(notJsonl.body.error.message).toMatch(/JSONL/);
    const garbagePath = join(tempDir(), "g.jsonl");
    writeFileSync(garbagePath, "hello\nworld\n");
    const garbage = await ai.files.upload({ file: garbagePath, config: { mimeType: "application/jsonl" } });
    expect(
      (
        await server.api("POST", "/v1/models/m:batchGenerateContent", {
          batch: { inputConfig: { fileName: garbage.name } },
        })
      ).status,
    ).toBe(400);
  });

  it("a file found wanting after its lines began going into the store is a 400 that leaves no batch behind", async () => {
    server = await startTidings();
    const ai = genai(server);
    const path = join(tempDir(), "big.jsonl");
    // One line past the limit: the lines stream into the store a chunk at a time, each chunk committed, so the
    // limit is met with 100,000 lines already written into a hidden batch, which is then deleted with them.
    writeFileSync(path, jsonl(100_001));
    const file = await ai.files.upload({ file: path, config: { mimeType: "application/jsonl" } });
    const tooMany = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { inputConfig: { fileName: file.name } },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toBe(
      `batch.inputConfig.fileName: ${file.name} has more than 100000 requests; at most 100000 per batch`,
    );
    const emptyPath = join(tempDir(), "blank.jsonl");
    writeFileSync(emptyPath, "{not json\n\n[1]\n");
    const blank = await ai.files.upload({ file: emptyPath, config: { mimeType: "application/jsonl" } });
    const notJsonl = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { inputConfig: { fileName: blank.name } },
    });
    expect(notJsonl.status).toBe(400);
    expect(notJsonl.body.error.message).toMatch(/is not JSONL/);
    expect((await server.api("GET", "/v1/batches")).body.operations ?? []).toEqual([]);
    expect(storedBatchRows(server)).toEqual({ batches: 0, lines: 0 });
  });
});
