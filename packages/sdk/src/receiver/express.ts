/// <reference types="node" />
import type { IncomingMessage, ServerResponse } from "node:http";
import { DEFAULT_MAX_BODY_BYTES, readRawBody, writeFailure, writeResponse, type NodeHandlerOptions } from "./node.js";
import type { WebhookReceiver } from "./receiver.js";
import { nodeRequestUrl } from "./request-url.js";

/** What the middleware needs from Express's `req`: a Node request that body parsers may have filled. */
export type ExpressLikeRequest = IncomingMessage & { body?: unknown; originalUrl?: string };

/**
 * Express middleware (structurally typed: no dependency on express).
 *
 * Signatures cover the exact bytes, so the raw body must reach it. Either mount it before any JSON
 * parser, or give it a raw one:
 *
 * ```ts
 * app.post("/webhooks", expressHandler(receiver)); // no express.json() before it on this path
 * app.post("/webhooks", express.raw({ type: () => true }), expressHandler(receiver)); // req.body: Buffer
 * ```
 *
 * If `express.json()` already consumed the body, the bytes are gone and it answers 500
 * `raw_body_unavailable` (Tidings keeps retrying, and shows that code in the delivery's attempts).
 */
export function expressHandler(
  receiver: WebhookReceiver,
  options: NodeHandlerOptions = {},
): (req: ExpressLikeRequest, res: ServerResponse, next?: (error?: unknown) => void) => void {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req, res) => {
    let body: Promise<string | Uint8Array>;
    if (typeof req.body === "string" || req.body instanceof Uint8Array) {
      // express.raw() / express.text() already buffered the exact bytes (a Buffer is a Uint8Array).
      body = Promise.resolve(req.body);
    } else if (!req.readableEnded) {
      // No parser ran on this request (Express 4 still sets req.body = {}), so the stream is intact.
      body = readRawBody(req, limit);
    } else {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: {
            code: "raw_body_unavailable",
            message:
              "the body was parsed before the webhook handler; mount it before express.json() or use express.raw()",
          },
        }),
      );
      return;
    }
    body
      // originalUrl: a router mounted on a path strips it from req.url.
      .then((raw) =>
        receiver.receive(raw, req.headers, { url: nodeRequestUrl(req, options, req.originalUrl ?? req.url) }),
      )
      .then(
        (response) => writeResponse(res, response),
        (error: unknown) => writeFailure(res, error),
      );
  };
}
