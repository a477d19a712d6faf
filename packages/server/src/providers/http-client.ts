import { Agent, interceptors, request, type Dispatcher } from "undici";
import { parseRetryAfter } from "../core/retry-schedule.js";
import { cancelled, malformedReply, networkError, timeoutError, upstreamStatusError } from "./failures.js";

/** Upstream error bodies can be whole HTML pages; keep enough to be useful in a message. */
const DETAIL_CHARS = 300;

export interface JsonClientOptions {
  /** Used in error messages: "the openai provider …". */
  provider: string;
  timeoutMs: number;
}

interface Reply {
  statusCode: number;
  headers: Dispatcher.ResponseData["headers"];
  body: Buffer;
}

/**
 * Talks JSON to a model server (and fetches the files it generates) over one keep-alive pool, and turns every
 * failure into a ProviderError: the caller only ever sees a parsed value or an error that says whether
 * retrying can help.
 */
export class JsonClient {
  private readonly agent: Agent;
  private readonly following: Dispatcher;

  constructor(private readonly options: JsonClientOptions) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 64,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: Math.min(options.timeoutMs, 10_000) },
    });
    this.following = this.agent.compose(interceptors.redirect({ maxRedirections: 5 }));
  }

  post(url: string, headers: Record<string, string>, body: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.send("POST", url, headers, JSON.stringify(body), signal).then((res) => this.json(res));
  }

  get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    return this.send("GET", url, headers, undefined, signal).then((res) => this.json(res));
  }

  /** The body's bytes, following redirects (a Gemini file download answers 302 to its storage). */
  async download(
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; contentType?: string }> {
    const res = await this.send("GET", url, headers, undefined, signal, true);
    const type = res.headers["content-type"];
    return { bytes: res.body, ...(typeof type === "string" ? { contentType: type } : {}) };
  }

  private json(res: Reply): unknown {
    const text = res.body.toString("utf8");
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw malformedReply(
        this.options.provider,
        `HTTP ${res.statusCode} with a body that is not JSON (${excerpt(text) || "empty"})`,
      );
    }
  }

  private async send(
    method: "GET" | "POST",
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal?: AbortSignal,
    redirects = false,
  ): Promise<Reply> {
    const { provider, timeoutMs } = this.options;
    if (signal?.aborted) throw cancelled(provider);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let reply: Reply;
    try {
      const res = await request(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          accept: redirects ? "*/*" : "application/json",
          ...headers,
        },
        body,
        dispatcher: redirects ? this.following : this.agent,
        signal: combined,
      });
      reply = { statusCode: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
    } catch (err) {
      if (signal?.aborted) throw cancelled(provider);
      if (timeout.aborted || isTimeout(err)) throw timeoutError(provider, timeoutMs);
      throw networkError(provider, describe(err));
    }
    if (reply.statusCode < 200 || reply.statusCode >= 300) {
      const retryAfter = reply.headers["retry-after"];
      // An HTTP-date Retry-After is the upstream's wall-clock time, so it is read against ours, not the injected Clock.
      const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now());
      throw upstreamStatusError(provider, reply.statusCode, errorDetail(reply.body.toString("utf8")), retryAfterMs);
    }
    return reply;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The message out of `{error:{message}}` (both OpenAI and Google use it), else an excerpt of the body. */
function errorDetail(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === "string") return excerpt(parsed.error);
    if (typeof parsed.error?.message === "string") return excerpt(parsed.error.message);
    if (typeof parsed.message === "string") return excerpt(parsed.message);
  } catch {
    // not JSON: fall through to the raw excerpt
  }
  return excerpt(text);
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > DETAIL_CHARS ? `${flat.slice(0, DETAIL_CHARS)}…` : flat;
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT";
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = typeof e.code === "string" ? e.code : typeof e.cause?.code === "string" ? e.cause.code : undefined;
  const message = typeof e.message === "string" ? e.message : String(err);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
}
