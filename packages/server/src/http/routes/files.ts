import type { IncomingMessage } from "node:http";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  DownloadQuery,
  Empty,
  ErrorResponses,
  FileResource,
  IdParams,
  ListFilesQuery,
  ListFilesResponse,
  StartUploadRequest,
  UploadQuery,
  UploadResponse,
} from "@tidings/sdk/contract";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { invalidArgument } from "../../core/errors.js";
import type { FileRecord } from "../../core/files.js";
import { JsonTooDeepError, parseJson } from "../../core/json.js";
import { parsePageRequest } from "../../core/pages.js";
import type { BlobData } from "../../files/blob-store.js";
import type { Services } from "../../services/index.js";
import { type Authenticate, presentedKey } from "../auth.js";
import { messageChecker } from "../validation.js";
import { toFileResource } from "../views/files.js";
import { customMethod } from "./verb.js";

interface Deps {
  services: Services;
}

const mediaResponse = {
  200: {
    description: "The file's bytes, with its mimeType as content-type",
    content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
  },
  ...ErrorResponses,
} as const;

/** Metadata, listing, deletion and download under `/v1` (registered inside the authenticated API block). */
export const fileRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, { services }) => {
  const tags = ["files"];
  const view = (file: FileRecord) => toFileResource(file, services.files.publicUrl);

  app.get("/files", { schema: { tags, querystring: ListFilesQuery, response: { 200: ListFilesResponse, ...ErrorResponses } } }, async (req) => {
    const page = await services.files.list(req.projectId, parsePageRequest(req.query.pageSize, req.query.pageToken));
    return { files: page.items.map(view), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  });

  // The id pattern keeps `{id}:download` out of this route.
  app.get("/files/:id(^[^:/]+)", { schema: { tags, params: IdParams, response: { 200: FileResource, ...ErrorResponses } } }, async (req) =>
    view(await services.files.get(req.projectId, req.params.id)),
  );

  app.delete(
    "/files/:id(^[^:/]+)",
    { schema: { tags, summary: "Delete the file and its bytes", params: IdParams, response: { 200: Empty, ...ErrorResponses } } },
    async (req) => {
      await services.files.delete(req.projectId, req.params.id);
      return {};
    },
  );

  app.get(
    customMethod("files", "download"),
    {
      schema: {
        tags,
        summary: "The file's bytes (?alt=media); also at /download/v1/files/{id}:download",
        params: IdParams,
        querystring: DownloadQuery,
        response: mediaResponse,
      },
    },
    download(services),
  );
};

/**
 * The two Google media endpoints, outside `/v1`: `/upload/v1/files` (the resumable protocol of
 * `ai.files.upload`) and `/download/v1/files/{id}:download`. They take the same API key as `/v1`, except
 * an upload's session URL, which is its own credential (below).
 */
export const fileTransferRoutes: FastifyPluginAsync<Deps & { authenticate: Authenticate }> = async (app, { services, authenticate }) => {
  await app.register(uploadRoutes, { prefix: "/upload/v1", services, authenticate });
  await app.register(
    async (media) => {
      media.addHook("onRequest", authenticate);
      media.get<{ Params: IdParams; Querystring: DownloadQuery }>(
        customMethod("files", "download"),
        {
          schema: {
            tags: ["files"],
            summary: "The file's bytes (?alt=media), where Gemini serves them",
            params: IdParams,
            querystring: DownloadQuery,
            response: mediaResponse,
          },
        },
        download(services),
      );
    },
    { prefix: "/download/v1" },
  );
};

function download(services: Services) {
  return async (req: FastifyRequest<{ Params: IdParams; Querystring: DownloadQuery }>, reply: FastifyReply) => {
    if (req.query.alt !== "media") {
      throw invalidArgument("alt", `must be "media" (?alt=media) to download the bytes; GET /v1/files/${req.params.id} returns the metadata`);
    }
    const { file, stream } = await services.files.open(req.projectId, req.params.id);
    return reply.header("content-type", file.mimeType).header("content-length", String(file.sizeBytes)).send(stream);
  };
}

// The upload protocol's headers; errors name them, since they are what a client must fix.
const PROTOCOL = "X-Goog-Upload-Protocol";
const COMMAND = "X-Goog-Upload-Command";
const LENGTH = "X-Goog-Upload-Header-Content-Length";
const TYPE = "X-Goog-Upload-Header-Content-Type";
const OFFSET = "X-Goog-Upload-Offset";
/** The start request's JSON body is metadata only. */
const START_BODY_LIMIT = 64 * 1024;

type UploadRequest = FastifyRequest<{ Querystring: UploadQuery }>;

/**
 * `POST /upload/v1/files`: without `upload_id`, `X-Goog-Upload-Command: start` opens a session and
 * answers with its URL in `x-goog-upload-url`; with it, `upload` / `upload, finalize` / `finalize`
 * send chunks at `X-Goog-Upload-Offset`, and `query` / `cancel` do what they say. Chunk bodies are any
 * bytes under any content-type (@google/genai sends them as application/json), so this plugin parses
 * no chunk: it hands the raw stream on, which goes to disk as it arrives. A start's small JSON body is read
 * whole before the handler, so that an `Idempotency-Key` can tell a retry of it from another start.
 */
const uploadRoutes: FastifyPluginAsync<Deps & { authenticate: Authenticate }> = async (app, { services, authenticate: withKey }) => {
  app.addHook("onRequest", async (req: UploadRequest) => {
    // As at Google, the session URL is the credential of the upload it names (an unguessable id, bound to
    // the project that started it, expiring): Python's client sends chunks and finalize to it without a key.
    // A key that does come is still checked, and must be the session's project's.
    const uploadId = req.query.upload_id;
    if (uploadId !== undefined && presentedKey(req) === undefined) {
      req.projectId = services.files.uploadProject(uploadId);
      return;
    }
    await withKey(req);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (req, payload, done) => {
    // Before the query's names are read (proto3 JSON: either spelling), so both are looked for here.
    const query = req.query as { upload_id?: string; uploadId?: string };
    if ((query.upload_id ?? query.uploadId) !== undefined) return done(null, payload);
    readStartBody(payload).then(
      (bytes) => done(null, bytes),
      (err: unknown) => {
        drain(payload);
        done(err as Error, undefined);
      },
    );
  });

  const headerSchema = {
    type: "object",
    properties: {
      "x-goog-upload-protocol": { type: "string", description: "resumable (on start)" },
      "x-goog-upload-command": { type: "string", description: "start | upload | upload, finalize | finalize | query | cancel" },
      "x-goog-upload-header-content-length": { type: "string", description: "the file's size in bytes (on start)" },
      "x-goog-upload-header-content-type": { type: "string", description: "the file's MIME type (on start)" },
      "x-goog-upload-offset": { type: "string", description: "where this chunk starts (on upload)" },
    },
  } as const;

  app.post<{ Querystring: UploadQuery }>(
    "/files",
    {
      schema: {
        tags: ["files"],
        summary: "Resumable upload: start a session (body {file:{displayName?, mimeType?, name?}}), then send its chunks to x-goog-upload-url",
        querystring: UploadQuery,
        headers: headerSchema,
        response: { 200: UploadResponse, ...ErrorResponses },
      },
      // Starting an upload makes a session: a retry gets the first one's URL again. Chunks are not creates.
      config: { idempotent: { scope: "project", appliesTo: (req) => (req.query as UploadQuery).upload_id === undefined } },
    },
    async (req, reply) => {
      try {
        const uploadId = req.query.upload_id;
        return await (uploadId === undefined ? start(req, reply) : chunk(req, reply, uploadId));
      } catch (err) {
        drain(req.raw);
        throw err;
      }
    },
  );

  async function start(req: UploadRequest, reply: FastifyReply) {
    if (header(req, PROTOCOL) !== "resumable") {
      throw invalidArgument(
        PROTOCOL,
        'must be "resumable": Tidings speaks the resumable protocol of ai.files.upload (start, then send chunks to the x-goog-upload-url)',
      );
    }
    const commands = parseCommands(req);
    if (commands.length !== 1 || commands[0] !== "start") {
      throw invalidArgument(COMMAND, 'must be "start" to begin an upload; the chunks go to the x-goog-upload-url of its reply');
    }
    const file = parseStartBody(req.body as Buffer | undefined);
    const length = header(req, LENGTH) ?? stringOf(file.sizeBytes);
    if (length === undefined) throw invalidArgument(LENGTH, "is required: the file's size in bytes");
    if (!/^\d+$/.test(length)) throw invalidArgument(LENGTH, `"${length}" is not a size in bytes`);
    const mimeType = header(req, TYPE) ?? stringOf(file.mimeType);
    if (mimeType === undefined) throw invalidArgument(TYPE, "is required: the file's MIME type, such as application/jsonl");
    const { uploadId } = await services.files.startUpload(req.projectId, {
      sizeBytes: Number(length),
      mimeType,
      displayName: stringOf(file.displayName),
      name: stringOf(file.name),
    });
    // Gemini's form, under the version the client called (/v1beta is rewritten to /v1 before routing);
    // the client keeps the path and query but talks to its own base URL's host.
    const version = req.originalUrl.startsWith("/upload/v1beta/") ? "v1beta" : "v1";
    const url = `${services.files.publicUrl}/upload/${version}/files?upload_id=${uploadId}&upload_protocol=resumable`;
    return reply.header("x-goog-upload-url", url).header("x-goog-upload-control-url", url).header("x-goog-upload-status", "active").send();
  }

  async function chunk(req: UploadRequest, reply: FastifyReply, uploadId: string) {
    const commands = parseCommands(req);
    if (commands.includes("query")) {
      const { received } = services.files.uploadStatus(req.projectId, uploadId);
      return reply.header("x-goog-upload-status", "active").header("x-goog-upload-size-received", String(received)).send();
    }
    if (commands.includes("cancel")) {
      await services.files.cancelUpload(req.projectId, uploadId);
      return reply.header("x-goog-upload-status", "cancelled").send();
    }
    const upload = commands.includes("upload");
    const finalize = commands.includes("finalize");
    if (!upload && !finalize) {
      throw invalidArgument(COMMAND, 'must be "upload", "upload, finalize", "finalize", "query" or "cancel" on an upload URL');
    }
    const offsetText = header(req, OFFSET);
    if (upload && offsetText === undefined) throw invalidArgument(OFFSET, "is required: the position of this chunk's first byte in the file");
    if (offsetText !== undefined && !/^\d+$/.test(offsetText)) throw invalidArgument(OFFSET, `"${offsetText}" is not a byte offset`);
    const offset = offsetText === undefined ? services.files.uploadStatus(req.projectId, uploadId).received : Number(offsetText);
    const progress = await services.files.appendChunk(req.projectId, uploadId, offset, bodyOf(req.body as IncomingMessage | undefined), finalize);
    reply.header("x-goog-upload-status", progress.status).header("x-goog-upload-size-received", String(progress.received));
    if (progress.file === undefined) return reply.send();
    return { file: toFileResource(progress.file, services.files.publicUrl) };
  }
};

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  const text = Array.isArray(value) ? value.join(",") : value;
  return text === undefined || text.trim() === "" ? undefined : text.trim();
}

/** `upload, finalize` → ["upload", "finalize"]. */
function parseCommands(req: FastifyRequest): string[] {
  return (header(req, COMMAND) ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/**
 * The chunk's bytes as they arrive. The iterator must not destroy the request when it stops early (a size
 * limit tripped): the socket has to stay up to carry the 400.
 */
function bodyOf(raw: IncomingMessage | undefined): BlobData {
  return raw === undefined ? Buffer.alloc(0) : raw.iterator({ destroyOnReturn: false });
}

/** A start request's bytes, read whole: it carries only metadata, so more than START_BODY_LIMIT is refused. */
async function readStartBody(raw: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of raw.iterator({ destroyOnReturn: false })) {
    size += (part as Buffer).length;
    if (size > START_BODY_LIMIT)
      throw invalidArgument(
        "body",
        `is over ${START_BODY_LIMIT} bytes; the start request carries only {file: {displayName, mimeType}}, the bytes follow in chunks`,
      );
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts);
}

const checkStartUpload = messageChecker(StartUploadRequest);

/** The start request's `{file: {...}}`, checked against the contract like any other body; an empty body is fine. */
function parseStartBody(bytes: Buffer | undefined): NonNullable<StartUploadRequest["file"]> {
  const text = bytes === undefined ? "" : bytes.toString("utf8").trim();
  if (text === "") return {};
  let body: unknown;
  try {
    body = parseJson(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError) throw invalidArgument("body", err.message);
    throw invalidArgument("body", 'is not valid JSON; send {"file": {"displayName": "…", "mimeType": "…"}} or nothing');
  }
  return checkStartUpload(body).file ?? {};
}

/** @google/genai sends 8 MiB chunks; past this much, a refused body is cut off rather than read. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * After an error, reads and drops what is left of the request so the client, still sending, gets the
 * error reply instead of a reset connection.
 */
function drain(raw: IncomingMessage): void {
  if (raw.readableEnded || raw.destroyed) return;
  let dropped = 0;
  raw.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT) raw.destroy();
  });
  raw.resume();
}
