/// <reference types="node" />
import type { IncomingMessage } from "node:http";
import type { HeaderRecord } from "../verify/headers.js";
import { DEFAULT_MAX_BODY_BYTES } from "./node.js";
import type { WebhookReceiver } from "./receiver.js";
import { nodeRequestUrl, type RequestUrlOptions } from "./request-url.js";

/**
 * The members of a Fastify instance the plugin uses. Deliberately loose: Fastify's own signatures are
 * overloaded and generic over server and request types, and no single structural signature accepts
 * them all; this keeps `app.register(fastifyPlugin(receiver))` compiling across Fastify versions
 * without depending on the package.
 */
export interface FastifyLikeInstance {
  removeAllContentTypeParsers: (...args: never[]) => unknown;
  addContentTypeParser: (...args: never[]) => unknown;
  post: (...args: never[]) => unknown;
}

// The precise shapes, as Fastify 4 and 5 call them.
type ParserDone = (error: Error | null, body?: unknown) => void;
interface FastifyInstanceUsed {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: "buffer"; bodyLimit: number },
    parser: (request: unknown, body: Uint8Array, done: ParserDone) => void,
  ): void;
  post(path: string, handler: (request: FastifyRequestUsed, reply: FastifyReplyUsed) => Promise<unknown>): void;
}
interface FastifyRequestUsed {
  body: unknown;
  headers: HeaderRecord;
  url: string;
  raw: IncomingMessage;
}
interface FastifyReplyUsed {
  code(status: number): FastifyReplyUsed;
  headers(values: Record<string, string>): FastifyReplyUsed;
  send(payload: string): FastifyReplyUsed;
}

export interface FastifyPluginOptions extends RequestUrlOptions {
  /** Route path. Default `/webhooks`. */
  path?: string;
  /** Largest accepted body; Fastify answers 413 beyond it. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * A Fastify plugin that registers `POST {path}`: `await app.register(fastifyPlugin(receiver, { path }))`.
 *
 * Inside its own (encapsulated) context it replaces the body parsers with one that keeps the raw bytes,
 * which signatures need; the app's JSON parsing elsewhere is untouched. Do not wrap it in
 * `fastify-plugin`, which would remove that encapsulation.
 */
export function fastifyPlugin(
  receiver: WebhookReceiver,
  options: FastifyPluginOptions = {},
): (instance: FastifyLikeInstance) => Promise<void> {
  const path = options.path ?? "/webhooks";
  const bodyLimit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (instance) => {
    const app = instance as unknown as FastifyInstanceUsed;
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));
    app.post(path, async (request, reply) => {
      const raw = request.body;
      const body = typeof raw === "string" || raw instanceof Uint8Array ? raw : "";
      const response = await receiver.receive(body, request.headers, {
        url: nodeRequestUrl(request.raw, options, request.url),
      });
      return reply.code(response.status).headers(response.headers).send(response.body);
    });
  };
}
