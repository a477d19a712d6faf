import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import type { SendResult } from "../core/deliveries.js";
import type { AddressPolicy } from "../net/address-policy.js";

const EXCERPT_BYTES = 1024;

export interface OutgoingRequest {
  uri: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Posts webhooks over keep-alive connections. Redirects are not followed, and the SSRF guard runs on the
 * address actually connected, after DNS, so rebinding cannot slip past it.
 *
 * The pool per origin is unbounded on purpose: many endpoints share one host (one SaaS receiving for many
 * customers), and a bounded pool let a few black-holed endpoints hold every socket, so the healthy ones'
 * requests waited for a socket while their timeouts ran. The engine already bounds what is in flight, per
 * endpoint; the sockets follow it.
 */
export class HttpSender {
  private readonly agent: Agent;

  /**
   * `resolve` is the DNS lookup whose answers the policy judges (node:dns's, unless a test stands in for DNS).
   * `onRefusal` hears which address a host name resolved to when that was refused: for the server's log only,
   * since the attempt's error is shown to the tenant and must not map the internal network for them.
   */
  constructor(
    private readonly policy: AddressPolicy,
    private readonly timeoutMs: number,
    resolve: typeof dnsLookup = dnsLookup,
    onRefusal: (host: string, why: string) => void = () => {},
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: null,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { lookup: guardedLookup(policy, resolve, onRefusal), timeout: timeoutMs },
    });
  }

  async send(req: OutgoingRequest): Promise<SendResult> {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 100) / 100;
    const url = new URL(req.uri);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0) {
      const refusal = this.policy.refusal(host);
      if (refusal !== undefined) return { kind: "error", error: `refused: ${refusal}`, latencyMs: latency() };
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    try {
      const res = await request(url, {
        method: "POST",
        headers: req.headers,
        body: req.body,
        dispatcher: this.agent,
        signal: abort.signal,
      });
      // Read under the same deadline: the abort below ends a body that trickles past it.
      const excerpt = await readExcerpt(res.body);
      const retryAfter = res.headers["retry-after"];
      return {
        kind: "response",
        statusCode: res.statusCode,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        body: excerpt,
        latencyMs: latency(),
      };
    } catch (err) {
      const error = abort.signal.aborted ? `timed out after ${this.timeoutMs} ms` : describe(err);
      return { kind: "error", error, latencyMs: latency() };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * The start of the response body, for the attempt's record. The status already decided the outcome (DESIGN §5:
 * a 2xx within the timeout), so a body that trickles past the attempt's deadline, or breaks off, ends the
 * excerpt rather than failing an attempt the receiver accepted.
 */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= EXCERPT_BYTES) {
        body.destroy();
        break;
      }
    }
  } catch {
    // Aborted at the deadline (the stream is destroyed with it), or the receiver hung up mid-body.
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString("utf8");
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    const code = (err as { code?: string }).code;
    return `${code ?? err.name}: ${err.message}${cause}`;
  }
  return String(err);
}

/** A DNS lookup that refuses to hand back any address the policy forbids. */
function guardedLookup(policy: AddressPolicy, resolve: typeof dnsLookup, onRefusal: (host: string, why: string) => void): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const refused = addresses.map((a) => policy.refusal(a.address)).find((r) => r !== undefined);
      if (refused !== undefined) {
        onRefusal(hostname, refused);
        return callback(Object.assign(new Error(`refused: ${hostname} resolves to a non-public address`), { code: "ESSRF" }), "", 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      callback(null, first.address, first.family);
    });
  };
}
