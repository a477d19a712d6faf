import type { WebhookReceiver } from "./receiver.js";

export interface FetchHandlerOptions {
  /** Largest accepted body; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** The part of an edge runtime's context that keeps work alive after the response (Workers, Vercel). */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
}

class BodyTooLarge extends Error {}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLarge();
  if (request.body === null) return new Uint8Array(0);
  // Streamed with a running total: a chunked body has no content-length to check up front.
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * A fetch-style handler (`Request` → `Response`) for Bun, Deno, Cloudflare Workers, Next.js route
 * handlers and Hono. On runtimes that stop work after the response, pass their context so the queued
 * handler may finish: `export default { fetch: (req, env, ctx) => handle(req, ctx) }`.
 */
export function fetchHandler(
  receiver: WebhookReceiver,
  options: FetchHandlerOptions = {},
): (request: Request, context?: WaitUntilContext) => Promise<Response> {
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  return async (request, context) => {
    if (request.method !== "POST") return jsonError(405, "method_not_allowed", "use POST", { allow: "POST" });
    let body: Uint8Array;
    try {
      body = await readLimited(request, limit);
    } catch (error) {
      if (error instanceof BodyTooLarge) return jsonError(413, "payload_too_large", `body exceeds ${limit} bytes`);
      throw error;
    }
    try {
      // Absolute already: the runtime builds it from the public request.
      const response = await receiver.receive(body, request.headers, { url: request.url });
      if (response.done !== undefined) context?.waitUntil(response.done);
      return new Response(response.body, { status: response.status, headers: response.headers });
    } catch {
      return jsonError(500, "internal", "webhook receiver failed");
    }
  };
}
