import type { Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { expectLimit, limitRejections, openSocket, otherProject, readHead } from "../helpers/limits.js";
import { ManualClock, startTidings, type TestServer } from "../helpers/tidings.js";

/** Each project's own caps, set low; every refusal leaves other projects as they were. */
describe("project caps, set low", () => {
  let server: TestServer;
  let other: { id: string; key: string };
  beforeAll(async () => {
    server = await startTidings({
      env: {
        TIDINGS_MAX_WEBHOOKS_PER_PROJECT: "3",
        TIDINGS_MAX_STREAMS_PER_PROJECT: "2",
        TIDINGS_MAX_UPLOADS_PER_PROJECT: "2",
        TIDINGS_MAX_PROJECT_FILE_BYTES: "1000",
      },
    });
    other = await otherProject(server);
  });
  afterAll(() => server.close());

  const webhook = (key: string) =>
    server.api("POST", "/v1/webhooks", { uri: "https://hooks.example.com/h", subscribed_events: ["*"] }, key);

  it("refuses the webhook past TIDINGS_MAX_WEBHOOKS_PER_PROJECT with a 400 naming it, and counts it", async () => {
    for (let i = 0; i < 3; i++) expect((await webhook(server.key)).status).toBe(200);
    expectLimit(await webhook(server.key), 400, "TIDINGS_MAX_WEBHOOKS_PER_PROJECT");
    expect((await webhook(other.key)).status).toBe(200);
    expect(await limitRejections(server.url, "webhooks_per_project")).toBe(1);

    // Deleting one makes room again.
    const [first] = (await server.api<{ webhooks: { id: string }[] }>("GET", "/v1/webhooks")).body.webhooks;
    expect((await server.api("DELETE", `/v1/webhooks/${first!.id}`)).status).toBe(200);
    expect((await webhook(server.key)).status).toBe(200);
  });

  it("holds concurrent creates to the cap", async () => {
    const fresh = await otherProject(server);
    const statuses = (await Promise.all(Array.from({ length: 8 }, () => webhook(fresh.key)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
  });

  describe("event streams", () => {
    const open: AbortController[] = [];
    afterEach(() => {
      for (const abort of open.splice(0)) abort.abort();
    });
    const stream = async (
      key: string,
      path = "/v1/events:stream",
      headers: Record<string, string> = { "x-goog-api-key": key },
    ) => {
      const abort = new AbortController();
      const res = await fetch(`${server.url}${path}`, { headers, signal: abort.signal, redirect: "manual" });
      open.push(abort);
      return { res, abort };
    };

    it("refuses the stream past TIDINGS_MAX_STREAMS_PER_PROJECT with a 429 naming it; the dashboard's count too; closing one makes room", async () => {
      const first = await stream(server.key);
      expect(first.res.status).toBe(200);
      expect((await stream(server.key)).res.status).toBe(200);
      const refused = await stream(server.key);
      expectLimit(
        { status: refused.res.status, body: await refused.res.json() },
        429,
        "TIDINGS_MAX_STREAMS_PER_PROJECT",
      );
      expect((await stream(other.key)).res.status).toBe(200);

      // The dashboard's live events are a stream of the same project's.
      const session = await dashboardSession(server);
      const dashboard = await stream(server.key, "/dashboard/stream", { cookie: session });
      expect(dashboard.res.status).toBe(429);
      expect(await dashboard.res.text()).toContain("TIDINGS_MAX_STREAMS_PER_PROJECT");

      first.abort.abort();
      await expect.poll(async () => (await stream(server.key)).res.status).toBe(200);
      expect(await limitRejections(server.url, "streams_per_project")).toBeGreaterThanOrEqual(2);
    });
  });

  describe("uploads", () => {
    const start = (key: string, size: number) =>
      fetch(`${server.url}/upload/v1beta/files`, {
        method: "POST",
        headers: {
          "x-goog-api-key": key,
          "x-goog-upload-protocol": "resumable",
          "x-goog-upload-command": "start",
          "x-goog-upload-header-content-length": String(size),
          "x-goog-upload-header-content-type": "text/plain",
        },
      });
    const refusal = async (res: Response) => ({ status: res.status, body: await res.json() });
    const finish = (session: Response, bytes: string) =>
      fetch(session.headers.get("x-goog-upload-url")!, {
        method: "POST",
        headers: { "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" },
        body: bytes,
      });

    it("refuses the session past TIDINGS_MAX_UPLOADS_PER_PROJECT with a 429 naming it; finishing one makes room", async () => {
      const a = await start(server.key, 10);
      expect(a.status).toBe(200);
      expect((await start(server.key, 10)).status).toBe(200);
      expectLimit(await refusal(await start(server.key, 10)), 429, "TIDINGS_MAX_UPLOADS_PER_PROJECT");
      expect((await start(other.key, 10)).status).toBe(200);
      expect((await finish(a, "0123456789")).status).toBe(200);
      expect((await start(server.key, 10)).status).toBe(200);
      expect(await limitRejections(server.url, "uploads_per_project")).toBe(1);
    });

    it("holds concurrent starts to the cap", async () => {
      const project = await otherProject(server);
      const statuses = (await Promise.all(Array.from({ length: 6 }, () => start(project.key, 10)))).map(
        (r) => r.status,
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(2);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    });

    it("refuses an upload that would take the project past TIDINGS_MAX_PROJECT_FILE_BYTES, counting stored files and open sessions", async () => {
      const project = await otherProject(server);
      const stored = await start(project.key, 600);
      expect((await finish(stored, "x".repeat(600))).status).toBe(200);
      // 600 stored + 401 declared > 1000.
      expectLimit(await refusal(await start(project.key, 401)), 429, "TIDINGS_MAX_PROJECT_FILE_BYTES");
      const open = await start(project.key, 300);
      expect(open.status).toBe(200);
      // 600 stored + 300 on the way + 101 > 1000.
      expectLimit(await refusal(await start(project.key, 101)), 429, "TIDINGS_MAX_PROJECT_FILE_BYTES");
      expect((await start(other.key, 600)).status).toBe(200);
      const files = await server.api<{ files: { name: string }[] }>("GET", "/v1/files", undefined, project.key);
      expect((await server.api("DELETE", `/v1/${files.body.files[0]!.name}`, undefined, project.key)).status).toBe(200);
      expect((await start(project.key, 401)).status).toBe(200);
    });
  });
});

describe("an upload session that never receives a byte", () => {
  const clock = new ManualClock();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTidings({ clock, env: { TIDINGS_MAX_UPLOADS_PER_PROJECT: "2" } });
  });
  afterAll(() => server.close());

  const start = () =>
    fetch(`${server.url}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": server.key,
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": "4",
        "x-goog-upload-header-content-type": "text/plain",
      },
    });
  const send = (session: Response, offset: number, bytes: string, finalize = false) =>
    fetch(session.headers.get("x-goog-upload-url")!, {
      method: "POST",
      headers: {
        "x-goog-upload-command": finalize ? "upload, finalize" : "upload",
        "x-goog-upload-offset": String(offset),
      },
      body: bytes,
    });

  it("expires after 15 minutes and frees its slot, while one that has bytes lives on", async () => {
    const idle = await start();
    const started = await start();
    expect((await send(started, 0, "ab")).status).toBe(200);
    expect((await start()).status).toBe(429);

    clock.advance(15 * 60_000);
    expect((await send(idle, 0, "abcd", true)).status).toBe(404);
    expect((await start()).status).toBe(200);
    expect((await send(started, 2, "cd", true)).status).toBe(200);
  });
});

describe("TIDINGS_RATE_LIMIT_PER_PROJECT", () => {
  const clock = new ManualClock();
  let server: TestServer;
  let other: { id: string; key: string };
  beforeAll(async () => {
    server = await startTidings({ clock, env: { TIDINGS_RATE_LIMIT_PER_PROJECT: "2" } });
    other = await otherProject(server);
  });
  afterAll(() => server.close());

  it("answers a project past its rate 429 with Retry-After, naming the limit; other projects go on; the next second it may go on", async () => {
    expect((await server.api("GET", "/v1/webhooks")).status).toBe(200);
    expect((await server.api("GET", "/v1/webhooks")).status).toBe(200);
    const res = await fetch(`${server.url}/v1/webhooks`, { headers: { "x-goog-api-key": server.key } });
    expect(res.headers.get("retry-after")).toBe("1");
    expectLimit({ status: res.status, body: await res.json() }, 429, "TIDINGS_RATE_LIMIT_PER_PROJECT");
    expect((await server.api("GET", "/v1/webhooks", undefined, other.key)).status).toBe(200);
    // Health and metrics are not the API: never limited.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await limitRejections(server.url, "rate_per_project")).toBe(1);
    clock.advance(1_000);
    expect((await server.api("GET", "/v1/webhooks")).status).toBe(200);
  });
});

describe("TIDINGS_MAX_LARGE_BODIES", () => {
  let server: TestServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = await startTidings({ env: { TIDINGS_MAX_LARGE_BODIES: "1" } });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
  });

  /** An inline batch declared 2 MiB long, of which only the first bytes are sent. */
  const largeBody = async () => {
    const head = [
      "POST /v1/models/gemini-2.5-flash:batchGenerateContent HTTP/1.1",
      `Host: ${new URL(server.url).host}`,
      `x-goog-api-key: ${server.key}`,
      "content-type: application/json",
      `content-length: ${2 * 1024 * 1024}`,
      "",
      '{"batch":{"inputConfig":{"requests":{"requests":[',
    ].join("\r\n");
    const socket = await openSocket(server.url, head);
    sockets.push(socket);
    return socket;
  };

  it("reads one large body at a time, queues a few, refuses the rest with a 429, and never holds up small requests", async () => {
    // One is being read, four wait (the queue holds four per slot).
    for (let i = 0; i < 5; i++) await largeBody();
    const refusal = await readHead(await largeBody());
    expect(refusal).toMatch(/^HTTP\/1\.1 429 /);
    expect(refusal.toLowerCase()).toContain("retry-after: 1");
    const small = await server.api("POST", "/v1/operations", { type: "export" });
    expect(small.status).toBe(200);
    expect(await limitRejections(server.url, "large_bodies")).toBe(1);
  });
});

/** Signs in to the dashboard with the server's key; the session cookie. */
async function dashboardSession(server: TestServer): Promise<string> {
  const form = await fetch(`${server.url}/dashboard/sign-in`);
  const cookies = form.headers.getSetCookie().map((c) => c.split(";")[0]);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
  const signedIn = await fetch(`${server.url}/dashboard/sign-in`, {
    method: "POST",
    headers: { cookie: cookies.join("; "), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ api_key: server.key, _csrf: csrf }).toString(),
    redirect: "manual",
  });
  return signedIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}
