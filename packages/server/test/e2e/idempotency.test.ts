import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { GoogleGenAI as GoogleGenAI2 } from "@google/genai";
import { GoogleGenAI as GoogleGenAI3 } from "@google/genai-3";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { IDEMPOTENCY_KEY_TTL_MS } from "../../src/core/idempotency.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { ADMIN_KEY, ManualClock, startTidings, type TestServer } from "../helpers/tidings.js";

/** A JSON call with an Idempotency-Key (or none), its status, headers and body. */
async function call(
  server: TestServer,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "x-goog-api-key": server.key, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? undefined : JSON.parse(text) };
}

const keyed = (key: string) => ({ "idempotency-key": key });

describe("Idempotency-Key on creates (SQLite)", () => {
  let server: TestServer;
  let receiver: Receiver;
  beforeAll(async () => {
    server = await startTidings();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  describe.each([
    ["2.32", GoogleGenAI2],
    ["3.x", GoogleGenAI3],
  ])("through @google/genai %s", (_version, GoogleGenAI) => {
    it("two webhooks creates with one key make one webhook, and the retry gets the one-time secret again", async () => {
      const key = randomUUID();
      const ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
      const before = (await ai.webhooks.list()).webhooks?.length ?? 0;
      const request = { uri: receiver.url, subscribed_events: ["batch.succeeded"] };
      const first = await ai.webhooks.create(request, { headers: keyed(key) });
      const retry = await ai.webhooks.create(request, { headers: keyed(key) });
      expect(retry.id).toBe(first.id);
      expect(retry.new_signing_secret).toMatch(/^whsec_/);
      expect(retry.new_signing_secret).toBe(first.new_signing_secret);
      expect((await ai.webhooks.list()).webhooks).toHaveLength(before + 1);
    });

    it("httpOptions.headers carries the key: on a call's config, or on a client made for one create", async () => {
      const ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
      const key = randomUUID();
      const src = [{ contents: [{ role: "user", parts: [{ text: "hi" }] }] }];
      const config = { httpOptions: { headers: keyed(key) } };
      const first = await ai.batches.create({ model: "gemini-2.5-flash", src, config });
      const retry = await ai.batches.create({ model: "gemini-2.5-flash", src, config });
      expect(retry.name).toBe(first.name);

      const once = new GoogleGenAI({
        apiKey: server.key,
        httpOptions: { baseUrl: server.url, headers: keyed(randomUUID()) },
      });
      const request = { uri: receiver.url, subscribed_events: ["batch.failed"] };
      const hook = await once.webhooks.create(request);
      expect((await once.webhooks.create(request)).id).toBe(hook.id);
    });
  });

  it("replays status, headers and body, marked as a replay", async () => {
    const key = randomUUID();
    const first = await call(server, "POST", "/v1/operations", { type: "export", metadata: { n: 1 } }, keyed(key));
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // Either spelling, any key order: the same request.
    const retry = await call(server, "POST", "/v1/operations", { metadata: { n: 1 }, type: "export" }, keyed(key));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("content-type")).toMatch(/^application\/json/);
    expect(retry.body).toEqual(first.body);
  });

  it("the same key with another body is a 400 naming Idempotency-Key", async () => {
    const key = randomUUID();
    expect((await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key))).status).toBe(200);
    const other = await call(server, "POST", "/v1/operations", { type: "import" }, keyed(key));
    expect(other.status).toBe(400);
    expect(other.body.error.status).toBe("INVALID_ARGUMENT");
    expect(other.body.error.details[0].fieldViolations[0].field).toBe("Idempotency-Key");
    expect(other.body.error.message).toContain(key);
    // Another create route is another request too.
    const elsewhere = await call(
      server,
      "POST",
      "/v1/webhooks",
      { uri: receiver.url, subscribed_events: ["*"] },
      keyed(key),
    );
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.details[0].fieldViolations[0].field).toBe("Idempotency-Key");
  });

  it("8 concurrent operation creates with one key make one operation; the others wait for it and replay", async () => {
    const key = randomUUID();
    const type = `concurrent_${randomBytes(4).toString("hex")}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => call(server, "POST", "/v1/operations", { type }, keyed(key))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.body.name)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get("idempotent-replayed") === "true")).toHaveLength(7);
    const listed = await call(server, "GET", "/v1/operations?page_size=1000", undefined);
    expect(
      listed.body.operations.filter((o: { metadata?: { type?: string } }) => o.metadata?.type === type),
    ).toHaveLength(1);
  });

  it("keys are per project: the same key in another project makes that project's own resource", async () => {
    const project = await call(
      server,
      "POST",
      "/v1/projects",
      { display_name: "other" },
      { "x-goog-api-key": ADMIN_KEY },
    );
    const otherKey = (
      await call(server, "POST", `/v1/projects/${project.body.id}/apiKeys`, {}, { "x-goog-api-key": ADMIN_KEY })
    ).body.key;
    const key = randomUUID();
    const mine = await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key));
    const theirs = await call(
      server,
      "POST",
      "/v1/operations",
      { type: "export" },
      { ...keyed(key), "x-goog-api-key": otherKey },
    );
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(theirs.body.name).not.toBe(mine.body.name);
    const mineAgain = await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key));
    expect(mineAgain.headers.get("idempotent-replayed")).toBe("true");
    expect(mineAgain.body.name).toBe(mine.body.name);
    // And a different body under that key in the other project is that project's business alone.
    expect(
      (
        await call(
          server,
          "POST",
          "/v1/webhooks",
          { uri: receiver.url, subscribed_events: ["*"] },
          { ...keyed(randomUUID()), "x-goog-api-key": otherKey },
        )
      ).status,
    ).toBe(200);
  });

  it("admin calls: keys belong to the admin key; a retried apiKeys mint returns the same key", async () => {
    const admin = { "x-goog-api-key": ADMIN_KEY };
    const key = randomUUID();
    const project = await call(
      server,
      "POST",
      "/v1/projects",
      { display_name: "retried" },
      { ...admin, ...keyed(key) },
    );
    const again = await call(server, "POST", "/v1/projects", { display_name: "retried" }, { ...admin, ...keyed(key) });
    expect(again.body.id).toBe(project.body.id);
    const mintKey = randomUUID();
    const minted = await call(
      server,
      "POST",
      `/v1/projects/${project.body.id}/apiKeys`,
      {},
      { ...admin, ...keyed(mintKey) },
    );
    const reminted = await call(
      server,
      "POST",
      `/v1/projects/${project.body.id}/apiKeys`,
      {},
      { ...admin, ...keyed(mintKey) },
    );
    expect(reminted.body.key).toBe(minted.body.key);
    // The project key's own scope never sees the admin's keys.
    expect((await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key))).status).toBe(200);
  });

  it("a request refused by validation, or by the service, saves nothing under its key", async () => {
    const key = randomUUID();
    const refused = await call(server, "POST", "/v1/operations", { type: "export", colour: "red" }, keyed(key));
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0].fieldViolations[0].field).toBe("colour");
    const reserved = await call(server, "POST", "/v1/operations", { type: "batch" }, keyed(key));
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.details[0].fieldViolations[0].field).toBe("type");
    const fixed = await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key));
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
    expect((await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key))).body.name).toBe(
      fixed.body.name,
    );
  });

  it("refuses a key longer than 255 characters and an empty one, naming the header", async () => {
    for (const key of ["k".repeat(256), " "]) {
      const res = await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key));
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].fieldViolations[0].field).toBe("Idempotency-Key");
    }
    expect((await call(server, "POST", "/v1/operations", { type: "export" }, keyed("k".repeat(255)))).status).toBe(200);
  });

  it("covers every create: interactions, videos, batches, upload starts", async () => {
    const twice = async (path: string, body: unknown) => {
      const key = randomUUID();
      const first = await call(server, "POST", path, body, keyed(key));
      const retry = await call(server, "POST", path, body, keyed(key));
      expect(first.status).toBe(200);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(retry.body).toEqual(first.body);
      return first.body;
    };
    expect((await twice("/v1/interactions", { model: "m", input: "hello", background: true })).id).toBeDefined();
    expect(
      (await twice("/v1/models/veo-3.0-generate-001:predictLongRunning", { instances: [{ prompt: "a red ball" }] }))
        .name,
    ).toBeDefined();
    expect(
      (
        await twice("/v1/models/gemini-2.5-flash:batchGenerateContent", {
          batch: { inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text: "x" }] }] } }] } } },
        })
      ).name,
    ).toMatch(/^batches\//);

    const start = (key: string, displayName: string) =>
      fetch(`${server.url}/upload/v1beta/files`, {
        method: "POST",
        headers: {
          "x-goog-api-key": server.key,
          "x-goog-upload-protocol": "resumable",
          "x-goog-upload-command": "start",
          "x-goog-upload-header-content-length": "3",
          "x-goog-upload-header-content-type": "text/plain",
          "content-type": "application/json",
          ...keyed(key),
        },
        body: JSON.stringify({ file: { displayName } }),
      });
    const key = randomUUID();
    const first = await start(key, "a.txt");
    const retry = await start(key, "a.txt");
    expect(first.headers.get("x-goog-upload-url")).toMatch(/upload_id=/);
    expect(retry.headers.get("x-goog-upload-url")).toBe(first.headers.get("x-goog-upload-url"));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await start(key, "b.txt")).status).toBe(400);
  });

  it("documents the header on every create in /openapi.json, and on no other call", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
    };
    const keyed = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.parameters?.some((p) => p.in === "header" && p.name === "idempotency-key"))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(keyed.sort()).toEqual(
      [
        "POST /v1/webhooks",
        "POST /v1/operations",
        "POST /v1/models/{id}:batchGenerateContent",
        "POST /v1/interactions",
        "POST /v1/models/{id}:predictLongRunning",
        "POST /upload/v1/files",
        "POST /v1/projects",
        "POST /v1/projects/{id}/apiKeys",
      ].sort(),
    );
  });

  it("keeps answers sealed at rest: the stored row holds no secret", async () => {
    const key = randomUUID();
    const created = await call(
      server,
      "POST",
      "/v1/webhooks",
      { uri: receiver.url, subscribed_events: ["*"] },
      keyed(key),
    );
    const secret = created.body.new_signing_secret as string;
    const db = new Database(join(server.dataDir, "tidings.db"), { readonly: true });
    try {
      const row = db.prepare("SELECT response FROM idempotency_keys WHERE key = ?").get(key) as { response: string };
      expect(row.response).toMatch(/^v1\./);
      expect(row.response).not.toContain(secret);
      expect(row.response).not.toContain(secret.slice("whsec_".length));
      expect(row.response).not.toContain(created.body.id);
    } finally {
      db.close();
    }
  });

  it("a streamed interaction is not replayed: the key is free again once its stream ends", async () => {
    const key = randomUUID();
    const body = { model: "m", input: "hello", stream: true };
    const first = await fetch(`${server.url}/v1/interactions`, {
      method: "POST",
      headers: { "x-goog-api-key": server.key, "content-type": "application/json", ...keyed(key) },
      body: JSON.stringify(body),
    });
    expect(first.headers.get("content-type")).toMatch(/text\/event-stream/);
    await first.text();
    const unstreamed = await call(server, "POST", "/v1/interactions", { model: "m", input: "other" }, keyed(key));
    expect(unstreamed.status).toBe(200);
  });
});

describe("Idempotency-Key over time", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("a key is kept 24 hours, then it names a new request; the sweeper purges expired keys", async () => {
    const clock = new ManualClock();
    server = await startTidings({ clock });
    const key = randomUUID();
    const first = await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key));
    clock.advance(IDEMPOTENCY_KEY_TTL_MS - 1000);
    expect((await call(server, "POST", "/v1/operations", { type: "import" }, keyed(key))).status).toBe(400);
    expect((await call(server, "POST", "/v1/operations", { type: "export" }, keyed(key))).body.name).toBe(
      first.body.name,
    );
    clock.advance(1000);
    const later = await call(server, "POST", "/v1/operations", { type: "import" }, keyed(key));
    expect(later.status).toBe(200);
    expect(later.body.name).not.toBe(first.body.name);

    const other = randomUUID();
    await call(server, "POST", "/v1/operations", { type: "export" }, keyed(other));
    clock.advance(IDEMPOTENCY_KEY_TTL_MS + 1);
    const purged = await server.services.idempotency.purgeExpired();
    expect(purged).toBeGreaterThanOrEqual(2);
    const db = new Database(join(server.dataDir, "tidings.db"), { readonly: true });
    try {
      expect(db.prepare("SELECT COUNT(*) AS n FROM idempotency_keys").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe("Idempotency-Key across processes sharing PostgreSQL", () => {
  const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `tidings_test_${randomBytes(6).toString("hex")}`;
  const servers: TestServer[] = [];
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  beforeAll(async () => {
    await admin(`CREATE SCHEMA ${schema}`);
    const url = new URL(DATABASE_URL);
    url.searchParams.set("options", `-c search_path=${schema}`);
    const env = {
      TIDINGS_DATABASE_URL: url.toString(),
      TIDINGS_MASTER_KEY: randomBytes(32).toString("base64"),
      TIDINGS_ROLE: "api",
    };
    servers.push(await startTidings({ env }), await startTidings({ env }));
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it("8 concurrent creates with one key, spread over two processes, make one webhook with one secret", async () => {
    const key = randomUUID();
    const body = { uri: "http://127.0.0.1:9/hook", subscribed_events: ["*"] };
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(servers[i % 2]!, "POST", "/v1/webhooks", body, keyed(key))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.new_signing_secret)).size).toBe(1);
    expect((await call(servers[0]!, "GET", "/v1/webhooks", undefined)).body.webhooks).toHaveLength(1);
    const mismatch = await call(
      servers[1]!,
      "POST",
      "/v1/webhooks",
      { ...body, subscribed_events: ["batch.*"] },
      keyed(key),
    );
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.details[0].fieldViolations[0].field).toBe("Idempotency-Key");
  });
});
