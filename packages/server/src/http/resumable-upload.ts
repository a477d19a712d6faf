import type { IncomingMessage } from "node:http";
import { StartUploadRequest } from "@tidings/sdk/contract";
import type { FastifyReply, FastifyRequest } from "fastify";
import { invalidArgument } from "../core/errors.js";
import { JsonTooDeepError, parseJson } from "../core/json.js";
import type { BlobData } from "../files/blob-store.js";
import type { StartUploadInput } from "../services/files.js";
import { messageChecker } from "./validation.js";

/**
 * Google's resumable-upload protocol, as `ai.files.upload` (and Python's client) speak it: which headers and
 * commands a request carries, what they mean, and what the replies say. A start request
 * (`X-Goog-Upload-Command: start`) opens a session whose URL is the reply's `x-goog-upload-url`; then
 * `upload` / `upload, finalize` / `finalize` send chunks at `X-Goog-Upload-Offset`, and `query` / `cancel`
 * do what they say. The route (routes/files.ts) does the rest through the file service.
 */

// The protocol's headers; errors name them, since they are what a client must fix.
const PROTOCOL = "X-Goog-Upload-Protocol";
const COMMAND = "X-Goog-Upload-Command";
const LENGTH = "X-Goog-Upload-Header-Content-Length";
const TYPE = "X-Goog-Upload-Header-Content-Type";
const OFFSET = "X-Goog-Upload-Offset";
/** The start request's JSON body is metadata only. */
const START_BODY_LIMIT = 64 * 1024;
/** @google/genai sends 8 MiB chunks; past this much, a refused body is cut off rather than read. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** The headers as the OpenAPI document shows them. */
export const UPLOAD_HEADERS_SCHEMA = {
  type: "object",
  properties: {
    "x-goog-upload-protocol": { type: "string", description: "resumable (on start)" },
    "x-goog-upload-command": {
      type: "string",
      description: "start | upload | upload, finalize | finalize | query | cancel",
    },
    "x-goog-upload-header-content-length": { type: "string", description: "the file's size in bytes (on start)" },
    "x-goog-upload-header-content-type": { type: "string", description: "the file's MIME type (on start)" },
    "x-goog-upload-offset": { type: "string", description: "where this chunk starts (on upload)" },
  },
} as const;

/** What a request on a session URL asks for. */
export type SessionCommand =
  | { kind: "query" }
  | { kind: "cancel" }
  /** A chunk (`upload`) and/or the end of the file (`finalize`); `offset` is where the chunk starts, when given. */
  | { kind: "send"; finalize: boolean; offset?: number };

/**
 * The file a start request opens a session for, from its headers and its `{file: {...}}` body (read whole by
 * readStartBody before the handler, so that an `Idempotency-Key` can tell a retry of it from another start).
 */
export function readStart(req: FastifyRequest): StartUploadInput {
  if (header(req, PROTOCOL) !== "resumable") {
    throw invalidArgument(
      PROTOCOL,
      'must be "resumable": Tidings speaks the resumable protocol of ai.files.upload (start, then send chunks to the x-goog-upload-url)',
    );
  }
  const commands = parseCommands(req);
  if (commands.length !== 1 || commands[0] !== "start") {
    throw invalidArgument(
      COMMAND,
      'must be "start" to begin an upload; the chunks go to the x-goog-upload-url of its reply',
    );
  }
  const file = parseStartBody(req.body as Buffer | undefined);
  const length = header(req, LENGTH) ?? stringOf(file.sizeBytes);
  if (length === undefined) throw invalidArgument(LENGTH, "is required: the file's size in bytes");
  if (!/^\d+$/.test(length)) throw invalidArgument(LENGTH, `"${length}" is not a size in bytes`);
  const mimeType = header(req, TYPE) ?? stringOf(file.mimeType);
  if (mimeType === undefined)
    throw invalidArgument(TYPE, "is required: the file's MIME type, such as application/jsonl");
  return { sizeBytes: Number(length), mimeType, displayName: stringOf(file.displayName), name: stringOf(file.name) };
}

/** What a request on a session URL asks for, its offset checked. */
export function readSessionCommand(req: FastifyRequest): SessionCommand {
  const commands = parseCommands(req);
  if (commands.includes("query")) return { kind: "query" };
  if (commands.includes("cancel")) return { kind: "cancel" };
  const upload = commands.includes("upload");
  const finalize = commands.includes("finalize");
  if (!upload && !finalize) {
    throw invalidArgument(
      COMMAND,
      'must be "upload", "upload, finalize", "finalize", "query" or "cancel" on an upload URL',
    );
  }
  const offsetText = header(req, OFFSET);
  if (upload && offsetText === undefined)
    throw invalidArgument(OFFSET, "is required: the position of this chunk's first byte in the file");
  if (offsetText !== undefined && !/^\d+$/.test(offsetText))
    throw invalidArgument(OFFSET, `"${offsetText}" is not a byte offset`);
  return { kind: "send", finalize, ...(offsetText !== undefined ? { offset: Number(offsetText) } : {}) };
}

/**
 * The session's URL in Gemini's form, under the version the client called (/v1beta is rewritten to /v1 before
 * routing); the client keeps its path and query but talks to its own base URL's host.
 */
export function sessionUrl(req: FastifyRequest, publicUrl: string, uploadId: string): string {
  const version = req.originalUrl.startsWith("/upload/v1beta/") ? "v1beta" : "v1";
  return `${publicUrl}/upload/${version}/files?upload_id=${uploadId}&upload_protocol=resumable`;
}

/** The start's reply: where to send the chunks. */
export function replyStarted(reply: FastifyReply, url: string): FastifyReply {
  return reply
    .header("x-goog-upload-url", url)
    .header("x-goog-upload-control-url", url)
    .header("x-goog-upload-status", "active");
}

/** A session's state as the protocol reports it: `active`, `final` or `cancelled`, and the bytes received so far. */
export function replyStatus(reply: FastifyReply, status: string, received?: number): FastifyReply {
  reply.header("x-goog-upload-status", status);
  return received === undefined ? reply : reply.header("x-goog-upload-size-received", String(received));
}

/**
 * The chunk's bytes as they arrive. The iterator must not destroy the request when it stops early (a size
 * limit tripped): the socket has to stay up to carry the 400.
 */
export function chunkBytes(req: FastifyRequest): BlobData {
  const raw = req.body as IncomingMessage | undefined;
  return raw === undefined ? Buffer.alloc(0) : raw.iterator({ destroyOnReturn: false });
}

/**
 * After an error, reads and drops what is left of the request so the client, still sending, gets the
 * error reply instead of a reset connection.
 */
export function drain(raw: IncomingMessage): void {
  if (raw.readableEnded || raw.destroyed) return;
  let dropped = 0;
  raw.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT) raw.destroy();
  });
  raw.resume();
}

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

const checkStartUpload = messageChecker(StartUploadRequest);

/** A start request's bytes, read whole: it carries only metadata, so more than START_BODY_LIMIT is refused. */
export async function readStartBody(raw: IncomingMessage): Promise<Buffer> {
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
