/// <reference types="node" />
// Types only: erased at runtime, so this adapter loads without node:http. The verify module is
// type-checked without these typings (test/typecheck.test.ts), so it cannot come to rely on them.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ReceiverResponse, WebhookReceiver } from "./receiver.js";
import { nodeRequestUrl, type RequestUrlOptions } from "./request-url.js";

export interface NodeHandlerOptions extends RequestUrlOptions {
  /** Largest accepted body; larger ones get 413 without being buffered. Default 1 MiB. */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export class PayloadTooLargeError extends Error {
  readonly code = "payload_too_large";

  constructor(limit: number) {
    super(`body exceeds ${limit} bytes`);
    this.name = "PayloadTooLargeError";
  }
}

/** Reads a Node request body as raw bytes, failing fast once it passes `limit`. */
export function readRawBody(req: IncomingMessage, limit: number = DEFAULT_MAX_BODY_BYTES): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      // Drain and discard so the socket can still carry our 413.
      req.resume();
      reject(new PayloadTooLargeError(limit));
      return;
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    const onData = (chunk: Uint8Array | string): void => {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
      total += bytes.length;
      if (total > limit) {
        cleanup();
        req.resume();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => {
      cleanup();
      if (chunks.length === 1) {
        resolve(chunks[0]!);
        return;
      }
      const body = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.length;
      }
      resolve(body);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

export function writeResponse(res: ServerResponse, response: ReceiverResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

function writeJsonError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** Turns a receive() failure that is not a verification result into an answer. */
export function writeFailure(res: ServerResponse, error: unknown): void {
  if (error instanceof PayloadTooLargeError) {
    // close: the rest of an oversized body is not worth reading on this connection.
    writeJsonError(res, 413, error.code, error.message, { connection: "close" });
  } else {
    writeJsonError(res, 500, "internal", "webhook receiver failed");
  }
}

/**
 * A `node:http` request listener: `http.createServer(nodeHandler(receiver))`, or mount it on a path of
 * your own server. Answers 202 as soon as the event is queued.
 */
export function nodeHandler(
  receiver: WebhookReceiver,
  options: NodeHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req, res) => {
    if (req.method !== "POST") {
      writeJsonError(res, 405, "method_not_allowed", "use POST", { allow: "POST" });
      return;
    }
    readRawBody(req, limit)
      .then((body) => receiver.receive(body, req.headers, { url: nodeRequestUrl(req, options) }))
      .then(
        (response) => writeResponse(res, response),
        (error: unknown) => writeFailure(res, error),
      );
  };
}
