import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, ManualClock, startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
let otherKey: string;
const clock = new ManualClock(Date.now());
beforeAll(async () => {
  server = await startTidings({ clock });
  const project = await server.api("POST", "/v1/projects", { display_name: "other" }, ADMIN_KEY);
  otherKey = (await server.api("POST", `/v1/projects/${project.body.id}/apiKeys`, undefined, ADMIN_KEY)).body.key;
});
afterAll(() => server.close());

/** Starts an upload (with the key: start always needs one); returns the session URL as handed out. */
async function start(size: number, version = "v1beta", key: string | null = server.key): Promise<Response> {
  return fetch(`${server.url}/upload/${version}/files`, {
    method: "POST",
    headers: {
      ...(key === null ? {} : { "x-goog-api-key": key }),
      "content-type": "application/json",
      "x-goog-upload-protocol": "resumable",
      "x-goog-upload-command": "start",
      "x-goog-upload-header-content-length": String(size),
      "x-goog-upload-header-content-type": "text/plain",
    },
    body: JSON.stringify({ file: { displayName: "from python" } }),
  });
}

/** A request to the session URL as Google's Python client sends it: no API key at all. */
function toSession(
  url: string,
  command: string,
  body?: string,
  offset?: number,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "x-goog-upload-command": command,
      ...(offset === undefined ? {} : { "x-goog-upload-offset": String(offset) }),
      ...headers,
    },
    ...(body === undefined ? {} : { body }),
  });
}

describe("the upload session URL is the upload's credential", () => {
  it("hands out the URL under the version the client called", async () => {
    expect(new URL((await start(1, "v1beta")).headers.get("x-goog-upload-url")!).pathname).toBe("/upload/v1beta/files");
    expect(new URL((await start(1, "v1")).headers.get("x-goog-upload-url")!).pathname).toBe("/upload/v1/files");
  });

  it("takes chunks, query and finalize without a key, into the project that started it", async () => {
    const url = (await start(10)).headers.get("x-goog-upload-url")!;
    const uploadId = new URL(url).searchParams.get("upload_id")!;
    // 36 characters of [a-z0-9]: 186 bits, unguessable.
    expect(uploadId).toMatch(/^[a-z0-9]{36}$/);

    const first = await toSession(url, "upload", "01234", 0);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-goog-upload-size-received")).toBe("5");
    const query = await toSession(url, "query");
    expect(query.headers.get("x-goog-upload-size-received")).toBe("5");
    const last = await toSession(url, "upload, finalize", "56789", 5);
    expect(last.status).toBe(200);
    const { file } = (await last.json()) as { file: { name: string } };
    expect((await server.api("GET", `/v1/${file.name}`)).body).toMatchObject({
      name: file.name,
      sizeBytes: "10",
      displayName: "from python",
    });
    expect((await server.api("GET", `/v1/${file.name}`, undefined, otherKey)).status).toBe(404);

    // Valid only for that upload: once finalized, the URL is spent.
    expect((await toSession(url, "upload, finalize", "x", 10)).status).toBe(404);
  });

  it("cancels without a key", async () => {
    const url = (await start(3)).headers.get("x-goog-upload-url")!;
    expect((await toSession(url, "cancel")).headers.get("x-goog-upload-status")).toBe("cancelled");
    expect((await toSession(url, "query")).status).toBe(404);
  });

  it("still needs a key to start, and checks a key that does come", async () => {
    expect((await start(1, "v1beta", null)).status).toBe(401);
    const url = (await start(3)).headers.get("x-goog-upload-url")!;
    expect((await toSession(url, "upload, finalize", "abc", 0, { "x-goog-api-key": "wrong-key" })).status).toBe(401);
    expect((await toSession(url, "upload, finalize", "abc", 0, { "x-goog-api-key": otherKey })).status).toBe(404);
    expect((await toSession(url, "upload, finalize", "abc", 0)).status).toBe(200);
  });

  it("refuses a made-up id and an expired session, with a message that says what to do", async () => {
    const madeUp = await toSession(
      `${server.url}/upload/v1beta/files?upload_id=${"a".repeat(36)}&upload_protocol=resumable`,
      "upload, finalize",
      "x",
      0,
    );
    expect(madeUp.status).toBe(404);
    expect(((await madeUp.json()) as { error: { message: string } }).error.message).toBe(
      "upload session not found: it was finalized or cancelled, received no byte within 15 minutes of its start, sat idle for 24 h, or the server restarted (sessions live in memory); start the upload again",
    );

    const url = (await start(2)).headers.get("x-goog-upload-url")!;
    expect((await toSession(url, "upload", "a", 0)).status).toBe(200);
    clock.advance(24 * 3600_000 + 1);
    expect((await toSession(url, "upload, finalize", "b", 1)).status).toBe(404);
    expect((await toSession(url, "upload, finalize", "b", 1, { "x-goog-api-key": server.key })).status).toBe(404);
  });

  it("opens nothing else: a download still needs a key, upload_id or not", async () => {
    const url = (await start(1)).headers.get("x-goog-upload-url")!;
    const uploadId = new URL(url).searchParams.get("upload_id")!;
    const done = await toSession(url, "upload, finalize", "z", 0);
    const { file } = (await done.json()) as { file: { name: string } };
    const url2 = (await start(1)).headers.get("x-goog-upload-url")!;
    const liveId = new URL(url2).searchParams.get("upload_id")!;
    for (const id of [uploadId, liveId]) {
      expect((await fetch(`${server.url}/download/v1/${file.name}:download?alt=media&upload_id=${id}`)).status).toBe(
        401,
      );
    }
  });
});
