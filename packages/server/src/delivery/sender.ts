import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import type { Clock, Timer } from "../core/clock.js";
import { isSuccess, type SendResult } from "../core/deliveries.js";
import type { AddressPolicy } from "../net/address-policy.js";
import { boundedMemo } from "../runtime/bounded-memo.js";
import { attemptSignature, type AttemptSigning } from "../signing/attempt-signing.js";
import { DeadlineSweep } from "./deadlines.js";

const EXCERPT_BYTES = 1024;
/** An origin's pool that sends nothing for this long (one to two times it) is closed. */
const POOL_IDLE_MS = 60_000;
const KEEP_ALIVE_MS = 30_000;
/** Parsed target URIs kept (a delivery's retries and a webhook's events send to the same one). */
const MAX_TARGETS = 4096;

export interface OutgoingRequest {
  uri: string;
  headers: Record<string, string>;
  body: string;
  /**
   * How to sign it, just before it goes out: the `webhook-signature` header is made from this, the headers'
   * `webhook-id` and `webhook-timestamp`, and the body. Absent: the headers go as they are.
   */
  signing?: AttemptSigning;
}

export interface HttpSenderOptions {
  policy: AddressPolicy;
  /** One attempt's limit, from the request's start to its response's last byte. */
  timeoutMs: number;
  clock: Clock;
  /** The DNS lookup whose answers the policy judges: node:dns's, unless a test stands in for DNS. */
  resolve?: typeof dnsLookup;
  /**
   * Hears which address a host name resolved to when that was refused: for the server's log only, since the
   * attempt's error is shown to the tenant and must not map the internal network for them.
   */
  onRefusal?: (host: string, why: string) => void;
}

/** A target URI, parsed once. */
interface Target {
  origin: string;
  path: string;
  /** Why the policy refuses its host, when that is a literal IP address (a host name is judged after DNS). */
  refusal?: string;
}

interface OriginPool {
  pool: Pool;
  /** Sent through since the last look for idle pools. */
  used: boolean;
}

/**
 * Posts webhooks over keep-alive connections, one undici Pool per origin. Redirects are not followed, and the
 * SSRF guard runs on the address actually connected, after DNS, so rebinding cannot slip past it.
 *
 * The pool per origin is unbounded on purpose: many endpoints share one host (one SaaS receiving for many
 * customers), and a bounded pool let a few black-holed endpoints hold every socket, so the healthy ones'
 * requests waited for a socket while their timeouts ran. The engine already bounds what is in flight, per
 * endpoint; the sockets follow it.
 *
 * The timeout is a shared, coarse deadline (`DeadlineSweep`): it cuts the request and the reading of its
 * response alike, up to a tenth of a second late.
 */
export class HttpSender {
  private readonly target = boundedMemo(MAX_TARGETS, (uri: string): Target => {
    const url = new URL(uri);
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const target: Target = { origin: url.origin, path: url.pathname + url.search };
    if (isIP(host) !== 0) target.refusal = this.options.policy.refusal(host);
    return target;
  });
  private readonly pools = new Map<string, OriginPool>();
  private readonly deadlines: DeadlineSweep;
  private readonly poolOptions: Pool.Options;
  private readonly timedOut: string;
  private idleCheck: Timer | undefined;

  constructor(private readonly options: HttpSenderOptions) {
    const { policy, timeoutMs, clock, resolve = dnsLookup, onRefusal = () => {} } = options;
    this.deadlines = new DeadlineSweep(clock, timeoutMs);
    this.timedOut = `timed out after ${timeoutMs} ms`;
    this.poolOptions = {
      connections: null,
      keepAliveTimeout: KEEP_ALIVE_MS,
      // The deadline covers the headers and the body; undici's own timers would race it with other error texts.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { lookup: guardedLookup(policy, resolve, onRefusal), timeout: timeoutMs },
    };
  }

  async send(req: OutgoingRequest): Promise<SendResult> {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 100) / 100;
    let target: Target;
    try {
      target = this.target(req.uri);
    } catch (err) {
      return { kind: "error", error: describe(err), latencyMs: latency() };
    }
    if (target.refusal !== undefined)
      return { kind: "error", error: `refused: ${target.refusal}`, latencyMs: latency() };
    let headers: Record<string, string>;
    try {
      headers = signed(req);
    } catch (err) {
      // Our bug, not the receiver's: recorded and retried like any other failure.
      return { kind: "error", error: `could not sign: ${(err as Error).message}`, latencyMs: 0 };
    }
    const signal = this.deadlines.signal();
    try {
      const res = await this.poolFor(target.origin).request({
        method: "POST",
        path: target.path,
        headers,
        body: req.body,
        signal,
      });
      if (isSuccess(res.statusCode)) {
        // The status decides and a success keeps no excerpt: drain the body for the connection's sake. One that
        // trickles past the deadline is cut there, and the attempt still succeeds.
        await res.body.dump();
        return { kind: "response", statusCode: res.statusCode, latencyMs: latency() };
      }
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
      return { kind: "error", error: signal.aborted ? this.timedOut : describe(err), latencyMs: latency() };
    }
  }

  /** Closes every pool once what it has in flight ends (at its deadline at the latest). */
  async close(): Promise<void> {
    this.options.clock.clearTimeout(this.idleCheck);
    this.idleCheck = undefined;
    const pools = [...this.pools.values()].map((p) => p.pool.close());
    this.pools.clear();
    await Promise.all(pools);
    this.deadlines.stop();
  }

  private poolFor(origin: string): Pool {
    let entry = this.pools.get(origin);
    if (entry === undefined) {
      entry = { pool: new Pool(origin, this.poolOptions), used: true };
      this.pools.set(origin, entry);
      this.idleCheck ??= this.scheduleIdleCheck();
    } else {
      entry.used = true;
    }
    return entry.pool;
  }

  private scheduleIdleCheck(): Timer {
    const timer = this.options.clock.setTimeout(() => this.closeIdlePools(), POOL_IDLE_MS);
    timer.unref();
    return timer;
  }

  /**
   * Closes the pools nothing was sent through since the last look: endpoints come and go (dynamic targets), and
   * a pool kept for each would grow without bound. A request still in flight on one finishes first.
   */
  private closeIdlePools(): void {
    for (const [origin, entry] of this.pools) {
      if (entry.used) {
        entry.used = false;
        continue;
      }
      this.pools.delete(origin);
      void entry.pool.close();
    }
    this.idleCheck = this.pools.size > 0 ? this.scheduleIdleCheck() : undefined;
  }
}

/**
 * The start of a failure's response body, for the attempt's record. The status already decided the outcome, so
 * a body that trickles past the attempt's deadline, or breaks off, ends the excerpt rather than the attempt.
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

/** The request's headers with its `webhook-signature`, made now over the id and timestamp they carry. */
function signed({ headers, body, signing }: OutgoingRequest): Record<string, string> {
  if (signing === undefined) return headers;
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (id === undefined || timestamp === undefined) throw new Error("no webhook-id or webhook-timestamp to sign");
  headers["webhook-signature"] = attemptSignature(signing, id, Number(timestamp), body);
  return headers;
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
function guardedLookup(
  policy: AddressPolicy,
  resolve: typeof dnsLookup,
  onRefusal: (host: string, why: string) => void,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const refused = addresses.map((a) => policy.refusal(a.address)).find((r) => r !== undefined);
      if (refused !== undefined) {
        onRefusal(hostname, refused);
        return callback(
          Object.assign(new Error(`refused: ${hostname} resolves to a non-public address`), { code: "ESSRF" }),
          "",
          0,
        );
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
      callback(null, first.address, first.family);
    });
  };
}
