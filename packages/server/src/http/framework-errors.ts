import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { rpcStatus } from "../web/rpc-status.js";

/**
 * What Fastify and node:http answer on their own, before any route or error handler runs, answered as
 * google.rpc.Status like everything else (they would answer `{"error":"Bad Request","code":"FST_ERR_…"}`).
 */

/**
 * Longer than any URL node:http accepts (16 KiB of request line and headers), so the router never refuses a
 * path parameter for its length: the route's schema does, with a 400 naming it.
 */
export const MAX_PATH_PARAM_LENGTH = 16 * 1024;

/** The router's errors: a path that is not valid percent-encoding (`/v1/webhooks/%ZZ`), a parameter past its length. */
export function answerFrameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const description =
    err.code === "FST_ERR_BAD_URL"
      ? "is not a valid URL path: a % must begin a percent-encoded byte such as %2F"
      : `has a segment longer than ${MAX_PATH_PARAM_LENGTH} characters`;
  const { code, body } = rpcStatus("INVALID_ARGUMENT", `path: ${description}`, "path");
  void reply.code(code).send(body);
}

/**
 * A request node:http could not read: headers (the URL among them) past its 16 KiB limit, a timeout, or
 * bytes that are not HTTP. The socket is all there is: the answer is written on it, then it is closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [code, status, message] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [
          431,
          "INVALID_ARGUMENT",
          "the request line and headers are larger than 16 KiB; send long values in a JSON body",
        ]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [
            408,
            "DEADLINE_EXCEEDED",
            "the request did not arrive in time (TIDINGS_HEADERS_TIMEOUT_MS, TIDINGS_REQUEST_TIMEOUT_MS)",
          ]
        : [400, "INVALID_ARGUMENT", "the request is not valid HTTP/1.1"];
  const body = JSON.stringify({ error: { code, message, status } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
