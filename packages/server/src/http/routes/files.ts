import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  DownloadQuery,
  ErrorResponses,
  FileResource,
  IdParams,
  ListFilesQuery,
  ListFilesResponse,
  UploadQuery,
  UploadResponse,
} from "@tidings/sdk/contract";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { invalidArgument } from "../../core/errors.js";
import type { FileRecord } from "../../core/files.js";
import type { Services } from "../../services/index.js";
import { type Authenticate, presentedKey } from "../auth.js";
import {
  chunkBytes,
  drain,
  readSessionCommand,
  readStart,
  readStartBody,
  replyStarted,
  replyStatus,
  sessionUrl,
  UPLOAD_HEADERS_SCHEMA,
} from "../resumable-upload.js";
import { toFileResource } from "../views/files.js";
import { idAction } from "./id-action.js";
import { pageReplyCamel, requestedPageCamel } from "./pages.js";
import { replies } from "./replies.js";
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

  app.get(
    "/files",
    { schema: { tags, querystring: ListFilesQuery, response: replies(ListFilesResponse) } },
    async (req) =>
      pageReplyCamel("files", await services.files.list(req.projectId, requestedPageCamel(req.query)), view),
  );

  // The id pattern keeps `{id}:download` out of this route.
  app.get("/files/:id(^[^:/]+)", { schema: { tags, params: IdParams, response: replies(FileResource) } }, async (req) =>
    view(await services.files.get(req.projectId, req.params.id)),
  );

  idAction(app, "DELETE", "/files/:id(^[^:/]+)", { tags, summary: "Delete the file and its bytes" }, (projectId, id) =>
    services.files.delete(projectId, id),
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
export const fileTransferRoutes: FastifyPluginAsync<Deps & { authenticate: Authenticate }> = async (
  app,
  { services, authenticate },
) => {
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
      throw invalidArgument(
        "alt",
        `must be "media" (?alt=media) to download the bytes; GET /v1/files/${req.params.id} returns the metadata`,
      );
    }
    const { file, stream } = await services.files.open(req.projectId, req.params.id);
    return reply.header("content-type", file.mimeType).header("content-length", String(file.sizeBytes)).send(stream);
  };
}

type UploadRequest = FastifyRequest<{ Querystring: UploadQuery }>;

/**
 * `POST /upload/v1/files`: Google's resumable protocol (resumable-upload.ts). Without `upload_id` it opens
 * a session; with it, it takes a chunk, reports the session or cancels it. Chunk bodies are any bytes under
 * any content-type (@google/genai sends them as application/json), so this plugin parses no chunk: it hands
 * the raw stream on, which goes to disk as it arrives. A start's small JSON body is read whole before the
 * handler, so that an `Idempotency-Key` can tell a retry of it from another start.
 */
const uploadRoutes: FastifyPluginAsync<Deps & { authenticate: Authenticate }> = async (
  app,
  { services, authenticate: withKey },
) => {
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

  app.post<{ Querystring: UploadQuery }>(
    "/files",
    {
      schema: {
        tags: ["files"],
        summary:
          "Resumable upload: start a session (body {file:{displayName?, mimeType?, name?}}), then send its chunks to x-goog-upload-url",
        querystring: UploadQuery,
        headers: UPLOAD_HEADERS_SCHEMA,
        response: replies(UploadResponse),
      },
      // Starting an upload makes a session: a retry gets the first one's URL again. Chunks are not creates.
      config: {
        idempotent: { scope: "project", appliesTo: (req) => (req.query as UploadQuery).upload_id === undefined },
      },
    },
    async (req, reply) => {
      try {
        const uploadId = req.query.upload_id;
        return await (uploadId === undefined ? start(req, reply) : onSession(req, reply, uploadId));
      } catch (err) {
        drain(req.raw);
        throw err;
      }
    },
  );

  async function start(req: UploadRequest, reply: FastifyReply) {
    const { uploadId } = await services.files.startUpload(req.projectId, readStart(req));
    return replyStarted(reply, sessionUrl(req, services.files.publicUrl, uploadId)).send();
  }

  async function onSession(req: UploadRequest, reply: FastifyReply, uploadId: string) {
    const command = readSessionCommand(req);
    if (command.kind === "query")
      return replyStatus(reply, "active", services.files.uploadStatus(req.projectId, uploadId).received).send();
    if (command.kind === "cancel") {
      await services.files.cancelUpload(req.projectId, uploadId);
      return replyStatus(reply, "cancelled").send();
    }
    const offset = command.offset ?? services.files.uploadStatus(req.projectId, uploadId).received;
    const progress = await services.files.appendChunk(
      req.projectId,
      uploadId,
      offset,
      chunkBytes(req),
      command.finalize,
    );
    replyStatus(reply, progress.status, progress.received);
    if (progress.file === undefined) return reply.send();
    return { file: toFileResource(progress.file, services.files.publicUrl) };
  }
};
