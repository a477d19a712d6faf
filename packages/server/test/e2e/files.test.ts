import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, startTidings, type TestServer } from "../helpers/tidings.js";

const MAX_FILE_BYTES = 16 * 1024 * 1024;

let server: TestServer;
let ai: GoogleGenAI;
/** A second project's key: it must see none of the first project's files. */
let otherKey: string;

beforeAll(async () => {
  server = await startTidings({ env: { TIDINGS_MAX_FILE_BYTES: String(MAX_FILE_BYTES) } });
  ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });
  const project = await server.api<{ id: string }>("POST", "/v1/projects", { display_name: "other" }, ADMIN_KEY);
  otherKey = (
    await server.api<{ key: string }>("POST", `/v1/projects/${project.body.id}/apiKeys`, undefined, ADMIN_KEY)
  ).body.key;
});
afterAll(() => server.close());

/** Gemini's sha256Hash: base64 of the hex digest. */
const geminiHash = (bytes: Buffer) => Buffer.from(createHash("sha256").update(bytes).digest("hex")).toString("base64");

const jsonl = (lines: number) =>
  Buffer.from(
    `${Array.from({ length: lines }, (_, i) =>
      JSON.stringify({
        key: `k${i}`,
        request: { contents: [{ parts: [{ text: `question number ${i}, padded to make it longer` }] }] },
      }),
    ).join("\n")}\n`,
  );

/** Starts a resumable upload over plain HTTP; returns the upload URL as a path on this server. */
async function startUpload(
  size: number,
  { key = server.key, mimeType = "application/octet-stream", body = { file: { displayName: "raw" } } as unknown } = {},
) {
  const res = await fetch(`${server.url}/upload/v1beta/files`, {
    method: "POST",
    headers: {
      "x-goog-api-key": key,
      "content-type": "application/json",
      "x-goog-upload-protocol": "resumable",
      "x-goog-upload-command": "start",
      "x-goog-upload-header-content-length": String(size),
      "x-goog-upload-header-content-type": mimeType,
    },
    body: JSON.stringify(body),
  });
  const url = res.headers.get("x-goog-upload-url");
  return { res, path: url === null ? "" : new URL(url).pathname + new URL(url).search };
}

async function sendChunk(path: string, offset: number, bytes: Buffer, command = "upload", key = server.key) {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    // As @google/genai sends chunks: its default JSON content-type over raw bytes.
    headers: {
      "x-goog-api-key": key,
      "content-type": "application/json",
      "x-goog-upload-command": command,
      "x-goog-upload-offset": String(offset),
    },
    body: bytes,
  });
  const text = await res.text();
  return { res, status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

const get = (path: string, key = server.key) => fetch(`${server.url}${path}`, { headers: { "x-goog-api-key": key } });
const violation = (body: any) => body?.error?.details?.[0]?.fieldViolations?.[0]?.field;

describe("@google/genai ai.files against Tidings", () => {
  it("uploads a JSONL file from a path, gets, downloads the exact bytes, and deletes it", async () => {
    const bytes = jsonl(1000);
    expect(bytes.length).toBeGreaterThan(100_000);
    const path = join(server.dataDir, "in.jsonl");
    writeFileSync(path, bytes);

    const file = await ai.files.upload({ file: path, config: { mimeType: "application/jsonl", displayName: "in" } });
    expect(file).toMatchObject({
      displayName: "in",
      mimeType: "application/jsonl",
      sizeBytes: String(bytes.length),
      state: "ACTIVE",
      source: "UPLOADED",
    });
    expect(file.name).toMatch(/^files\/[a-z0-9]+$/);
    expect(file.sha256Hash).toBe(geminiHash(bytes));
    expect(Date.parse(file.expirationTime!) - Date.parse(file.createTime!)).toBe(48 * 3_600_000);

    expect(await ai.files.get({ name: file.name! })).toEqual(file);

    const out = join(server.dataDir, "out.jsonl");
    await ai.files.download({ file: file.name!, downloadPath: out });
    expect(readFileSync(out).equals(bytes)).toBe(true);

    await ai.files.delete({ name: file.name! });
    await expect(ai.files.get({ name: file.name! })).rejects.toMatchObject({ status: 404 });
  });

  it("uploads a Blob larger than the client's 8 MiB chunk, in two chunks, byte for byte", async () => {
    const bytes = Buffer.alloc(9 * 1024 * 1024 + 123);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
    const file = await ai.files.upload({ file: new Blob([bytes]), config: { mimeType: "application/octet-stream" } });
    expect(file.sizeBytes).toBe(String(bytes.length));
    expect(file.sha256Hash).toBe(geminiHash(bytes));
    const res = await get(`/download/v1beta/${file.name}:download?alt=media`);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    await ai.files.delete({ name: file.name! });
  });

  it("pages through files with pageSize and pageToken, each project seeing only its own", async () => {
    const other = new GoogleGenAI({ apiKey: otherKey, httpOptions: { baseUrl: server.url } });
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      names.push(
        (
          await other.files.upload({
            file: new Blob([`line ${i}\n`]),
            config: { mimeType: "text/plain", displayName: `f${i}` },
          })
        ).name!,
      );
    }
    const pager = await other.files.list({ config: { pageSize: 2 } });
    expect(pager.page.map((f) => f.name)).toEqual(names.slice(0, 2));
    expect(pager.hasNextPage()).toBe(true);
    expect((await pager.nextPage()).map((f) => f.name)).toEqual(names.slice(2));
    expect(pager.hasNextPage()).toBe(false);

    const mine = await ai.files.list({ config: { pageSize: 100 } });
    expect(mine.page.map((f) => f.name).filter((n) => names.includes(n!))).toEqual([]);
  });

  it("takes a chosen name once", async () => {
    const file = await ai.files.upload({
      file: new Blob(["x"]),
      config: { mimeType: "text/plain", name: "my-input-1" },
    });
    expect(file.name).toBe("files/my-input-1");
    await expect(
      ai.files.upload({ file: new Blob(["y"]), config: { mimeType: "text/plain", name: "files/my-input-1" } }),
    ).rejects.toMatchObject({
      status: 409,
    });
    await ai.files.delete({ name: "files/my-input-1" });
  });
});

describe("the resumable upload protocol over plain HTTP", () => {
  it("assembles a multi-chunk upload, refuses a wrong offset, and reports progress", async () => {
    const bytes = Buffer.from("0123456789".repeat(1000));
    const { res: started, path } = await startUpload(bytes.length, { mimeType: "application/jsonl" });
    expect(started.status).toBe(200);
    expect(started.headers.get("x-goog-upload-status")).toBe("active");
    expect(path).toMatch(/^\/upload\/v1beta\/files\?upload_id=[a-z0-9]{36}&upload_protocol=resumable$/);

    const first = await sendChunk(path, 0, bytes.subarray(0, 4000));
    expect(first.status).toBe(200);
    expect(first.res.headers.get("x-goog-upload-status")).toBe("active");
    expect(first.res.headers.get("x-goog-upload-size-received")).toBe("4000");

    const wrong = await sendChunk(path, 3000, bytes.subarray(3000));
    expect(wrong.status).toBe(400);
    expect(violation(wrong.body)).toBe("X-Goog-Upload-Offset");
    expect(wrong.body.error.message).toContain("starts at byte 4000");

    const query = await sendChunk(path, 0, Buffer.alloc(0), "query");
    expect(query.res.headers.get("x-goog-upload-size-received")).toBe("4000");

    const last = await sendChunk(path, 4000, bytes.subarray(4000), "upload, finalize");
    expect(last.status).toBe(200);
    expect(last.res.headers.get("x-goog-upload-status")).toBe("final");
    expect(last.body.file).toMatchObject({
      displayName: "raw",
      mimeType: "application/jsonl",
      sizeBytes: String(bytes.length),
      sha256Hash: geminiHash(bytes),
      state: "ACTIVE",
    });
    const name: string = last.body.file.name;

    for (const url of [
      `/download/v1beta/${name}:download?alt=media`,
      `/download/v1/${name}:download?alt=media`,
      `/v1/${name}:download?alt=media`,
    ]) {
      const res = await get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/jsonl");
      expect(res.headers.get("content-length")).toBe(String(bytes.length));
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
    const noAlt = await get(`/v1/${name}:download`);
    expect(noAlt.status).toBe(400);
    expect(violation(await noAlt.json())).toBe("alt");

    // The session is gone once finalized.
    expect((await sendChunk(path, bytes.length, Buffer.from("more"))).status).toBe(404);
  });

  it("refuses an upload declared over the limit, naming the header", async () => {
    const { res } = await startUpload(MAX_FILE_BYTES + 1);
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(violation(body)).toBe("X-Goog-Upload-Header-Content-Length");
    expect(body.error.message).toContain("TIDINGS_MAX_FILE_BYTES");
  });

  it("refuses bytes beyond the declared length, keeping what came before", async () => {
    const { path } = await startUpload(10);
    const over = await sendChunk(path, 0, Buffer.from("01234567890123456789"), "upload, finalize");
    expect(over.status).toBe(400);
    expect(violation(over.body)).toBe("X-Goog-Upload-Header-Content-Length");
    // A big chunk is refused just as clearly: the rest of it is read and dropped, not left to reset the connection.
    const big = await sendChunk(path, 0, Buffer.alloc(8 * 1024 * 1024, 1));
    expect(big.status).toBe(400);
    expect(violation(big.body)).toBe("X-Goog-Upload-Header-Content-Length");
    // The refused chunks left nothing behind: the same offset takes the right bytes.
    const short = await sendChunk(path, 0, Buffer.from("01234"), "upload, finalize");
    expect(short.status).toBe(400);
    expect(short.body.error.message).toContain("finalized after 5");
    const done = await sendChunk(path, 5, Buffer.from("56789"), "upload, finalize");
    expect(done.status).toBe(200);
    const res = await get(`/v1/${done.body.file.name}:download?alt=media`);
    expect(await res.text()).toBe("0123456789");
  });

  it("refuses a start that is not a resumable start, naming the header", async () => {
    const res = await fetch(`${server.url}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        "x-goog-api-key": server.key,
        "x-goog-upload-protocol": "multipart",
        "x-goog-upload-command": "start",
      },
    });
    expect(res.status).toBe(400);
    expect(violation(await res.json())).toBe("X-Goog-Upload-Protocol");
  });

  it("keeps each project's files and uploads to itself: 404 for the other project, 401 with a wrong key", async () => {
    const { path } = await startUpload(3);
    expect((await sendChunk(path, 0, Buffer.from("abc"), "upload, finalize", otherKey)).status).toBe(404);
    expect((await sendChunk(path, 0, Buffer.from("abc"), "upload, finalize", "wrong-key")).status).toBe(401);
    const done = await sendChunk(path, 0, Buffer.from("abc"), "upload, finalize");
    const name: string = done.body.file.name;

    expect((await get(`/v1/${name}`, otherKey)).status).toBe(404);
    expect((await get(`/download/v1/${name}:download?alt=media`, otherKey)).status).toBe(404);
    expect((await server.api("DELETE", `/v1/${name}`, undefined, otherKey)).status).toBe(404);
    expect((await server.api("GET", `/v1/${name}`)).status).toBe(200);
  });

  it("answers 404 for unknown files, deleted files and made-up upload URLs", async () => {
    const unknown = await server.api("GET", "/v1/files/doesnotexist");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe("files/doesnotexist not found");
    expect((await get("/download/v1/files/doesnotexist:download?alt=media")).status).toBe(404);
    expect((await server.api("DELETE", "/v1/files/doesnotexist")).status).toBe(404);

    const { path } = await startUpload(2);
    const name: string = (await sendChunk(path, 0, Buffer.from("hi"), "upload, finalize")).body.file.name;
    expect((await server.api("DELETE", `/v1/${name}`)).status).toBe(200);
    expect((await get(`/download/v1/${name}:download?alt=media`)).status).toBe(404);
    expect((await get(`/v1/${name}:download?alt=media`)).status).toBe(404);

    const stale = await sendChunk(
      "/upload/v1beta/files?upload_id=nosuchupload&upload_protocol=resumable",
      0,
      Buffer.from("x"),
    );
    expect(stale.status).toBe(404);
    expect(stale.body.error.message).toContain("start the upload again");
  });
});

describe("the files surface in /openapi.json", () => {
  it("documents the metadata, upload and download routes", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
    for (const path of [
      "/v1/files",
      "/v1/files/{id}",
      "/v1/files/{id}:download",
      "/upload/v1/files",
      "/download/v1/files/{id}:download",
    ]) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    expect(
      doc.paths["/v1/files/{id}"].get.responses["200"].content["application/json"].schema.properties,
    ).toHaveProperty("sha256Hash");
  });
});

describe("upload sessions across a restart", () => {
  // Last in this file: it restarts the shared server on the same data dir.
  it("answers 404 for an upload URL the previous process handed out; finished files survive", async () => {
    const { path } = await startUpload(4);
    const kept = await ai.files.upload({ file: new Blob(["kept"]), config: { mimeType: "text/plain" } });
    await server.stop();
    server = await startTidings({ dataDir: server.dataDir, env: { TIDINGS_MAX_FILE_BYTES: String(MAX_FILE_BYTES) } });

    const stale = await sendChunk(path, 0, Buffer.from("abcd"), "upload, finalize");
    expect(stale.status).toBe(404);
    expect(stale.body.error.message).toContain("the server restarted");
    expect(await (await get(`/v1beta/${kept.name}:download?alt=media`)).text()).toBe("kept");
  });
});
