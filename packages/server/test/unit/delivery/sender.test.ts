import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Clock, Timer } from "../../../src/core/clock.js";
import type { SendResult } from "../../../src/core/deliveries.js";
import { HttpSender } from "../../../src/delivery/sender.js";
import { AddressPolicy } from "../../../src/net/address-policy.js";
import { FakeClock } from "../../helpers/fake-clock.js";

/**
 * The sender against real HTTP receivers on 127.0.0.1, its deadlines and idle pools on fake time: time moves
 * only when a test advances it, so "not before the timeout" and "by one slice after it" are exact.
 */

const TIMEOUT_MS = 1000;
const SLICE_MS = 100;
const POOL_IDLE_MS = 60_000;

/** A fake clock that counts the timers armed on it, by delay. */
class CountingClock implements Clock {
  readonly armed: number[] = [];
  readonly fake = new FakeClock();
  now(): number {
    return this.fake.now();
  }
  setTimeout(callback: () => void, ms: number): Timer {
    this.armed.push(ms);
    return this.fake.setTimeout(callback, ms);
  }
  clearTimeout(timer: Timer | undefined): void {
    this.fake.clearTimeout(timer);
  }
}

interface TestReceiver {
  origin: string;
  url: string;
  /** Requests that reached the handler. */
  requests: number;
  /** TCP connections accepted, and those closed since. */
  connections: number;
  closed: number;
  waitFor(what: () => boolean, label: string): Promise<void>;
  close(): Promise<void>;
}

const receivers: TestReceiver[] = [];
const senders: HttpSender[] = [];
afterEach(async () => {
  for (const sender of senders.splice(0)) await sender.close();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

/** A receiver whose every request gets `answer`, after the request body has arrived. */
async function receiver(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestReceiver> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      r.requests++;
      answer(req, res);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    r.connections++;
    sockets.add(socket);
    socket.on("close", () => {
      r.closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r: TestReceiver = {
    origin,
    url: `${origin}/hook`,
    requests: 0,
    connections: 0,
    closed: 0,
    async waitFor(what, label) {
      for (let i = 0; i < 500 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      if (!what()) throw new Error(`receiver: never ${label}`);
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  receivers.push(r);
  return r;
}

/** Writes the status line, then a byte every 20 ms (real time) until the connection is cut. */
const trickle = (status: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { "content-type": "text/plain" });
  res.write("first bytes ");
  const dripping = setInterval(() => res.write("."), 20);
  res.on("close", () => clearInterval(dripping));
};

function sender(clock: Clock, policy = new AddressPolicy(["127.0.0.0/8"])): HttpSender {
  const s = new HttpSender({ policy, timeoutMs: TIMEOUT_MS, clock });
  senders.push(s);
  return s;
}

const post = (s: HttpSender, uri: string) =>
  s.send({ uri, headers: { "content-type": "application/json", "webhook-id": "msg_1" }, body: "{}" });

/** A send whose outcome can be looked at before it settles. */
function watch(promise: Promise<SendResult>): { result: () => SendResult | undefined; done: Promise<SendResult> } {
  let result: SendResult | undefined;
  const done = promise.then((r) => (result = r));
  return { result: () => result, done };
}

describe("HttpSender: the deadline", () => {
  it("cuts a receiver that never answers, no sooner than the timeout and within one slice after it", async () => {
    const clock = new FakeClock();
    const hang = await receiver(() => {});
    const s = sender(clock);
    const send = watch(post(s, hang.url));
    await hang.waitFor(() => hang.requests === 1, "got the request");
    await clock.advance(TIMEOUT_MS - 1);
    expect(send.result()).toBeUndefined();
    await clock.advance(SLICE_MS + 1);
    expect(await send.done).toMatchObject({ kind: "error", error: `timed out after ${TIMEOUT_MS} ms` });
    await hang.waitFor(() => hang.closed === 1, "saw the connection cut");
  });

  it("cuts a 2xx body that trickles past the deadline there, and the attempt still succeeds", async () => {
    const clock = new FakeClock();
    const drip = await receiver(trickle(200));
    const s = sender(clock);
    const send = watch(post(s, drip.url));
    await drip.waitFor(() => drip.requests === 1, "got the request");
    await new Promise((resolve) => setTimeout(resolve, 100)); // a few drops arrive, real time
    await clock.advance(TIMEOUT_MS - 1);
    expect(send.result()).toBeUndefined(); // still reading: the body is under the deadline too
    await clock.advance(SLICE_MS + 1);
    const result = await send.done;
    expect(result).toMatchObject({ kind: "response", statusCode: 200 });
    expect(result.kind === "response" && result.body).toBeUndefined();
    await drip.waitFor(() => drip.closed === 1, "saw the connection cut");
  });

  it("cuts a failure's trickling body at the deadline and keeps what came, as the excerpt", async () => {
    const clock = new FakeClock();
    const drip = await receiver(trickle(503));
    const s = sender(clock);
    const send = watch(post(s, drip.url));
    await drip.waitFor(() => drip.requests === 1, "got the request");
    await new Promise((resolve) => setTimeout(resolve, 100)); // a few drops arrive, real time
    await clock.advance(TIMEOUT_MS - 1);
    expect(send.result()).toBeUndefined();
    await clock.advance(SLICE_MS + 1);
    const result = await send.done;
    expect(result).toMatchObject({ kind: "response", statusCode: 503 });
    expect(result.kind === "response" && result.body).toMatch(/^first bytes \.+$/);
    await drip.waitFor(() => drip.closed === 1, "saw the connection cut");
  });

  it("arms no timer per request: requests that end before their slice fires cost none", async () => {
    const clock = new CountingClock();
    const fast = await receiver((_req, res) => res.writeHead(200).end("ok"));
    const s = sender(clock);
    for (let i = 0; i < 20; i++) expect(await post(s, fast.url)).toMatchObject({ kind: "response", statusCode: 200 });
    await Promise.all(Array.from({ length: 20 }, () => post(s, fast.url)));
    // The sweep's one timer and the idle-pool check's one: 40 requests added none.
    expect(clock.armed.filter((ms) => ms === SLICE_MS)).toHaveLength(1);
    expect(clock.armed.filter((ms) => ms !== SLICE_MS)).toEqual([POOL_IDLE_MS]);
  });
});

describe("HttpSender: responses", () => {
  it("drains a 2xx body to the end without keeping it, so its connection stays open for the next request", async () => {
    const big = "x".repeat(64 * 1024);
    const ok = await receiver((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(big));
    const s = sender(new FakeClock());
    for (let i = 0; i < 5; i++) {
      const result = await post(s, ok.url);
      expect(result).toMatchObject({ kind: "response", statusCode: 200 });
      expect(result.kind === "response" && result.body).toBeUndefined();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    // A body cut short (read only in part) would have cost its connection.
    expect(ok.closed).toBe(0);
    expect(ok.connections).toBeLessThan(5);
  });

  it("keeps the first kilobyte of a failure's body, with its Retry-After", async () => {
    const fail = await receiver((_req, res) => res.writeHead(429, { "retry-after": "7" }).end("e".repeat(5000)));
    const result = await post(sender(new FakeClock()), fail.url);
    expect(result).toMatchObject({ kind: "response", statusCode: 429, retryAfter: "7", body: "e".repeat(1024) });
  });

  it("refuses a literal address the policy forbids without connecting", async () => {
    const ok = await receiver((_req, res) => res.writeHead(200).end());
    const result = await post(sender(new FakeClock(), new AddressPolicy([])), ok.url);
    expect(result.kind === "error" && result.error).toMatch(/^refused: /);
    expect(ok.connections).toBe(0);
  });

  it("answers a URI it cannot parse with an error, not a throw", async () => {
    expect(await post(sender(new FakeClock()), "not a uri")).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/Invalid URL/),
    });
  });
});

describe("HttpSender: a pool per origin", () => {
  it("reuses one keep-alive connection per origin, and keeps origins apart", async () => {
    const a = await receiver((_req, res) => res.writeHead(200).end());
    const b = await receiver((_req, res) => res.writeHead(200).end());
    const s = sender(new FakeClock());
    for (let i = 0; i < 3; i++) {
      await post(s, a.url);
      await post(s, `${b.origin}/other/path?i=${i}`);
    }
    expect([a.requests, b.requests]).toEqual([3, 3]);
    expect([a.connections, b.connections]).toEqual([1, 1]);
  });

  it("one black-holed origin does not hold up another's requests", async () => {
    const clock = new FakeClock();
    const hole = await receiver(() => {});
    const ok = await receiver((_req, res) => res.writeHead(200).end());
    const s = sender(clock);
    const stuck = Array.from({ length: 20 }, () => watch(post(s, hole.url)));
    await hole.waitFor(() => hole.requests === 20, "got every request");
    for (let i = 0; i < 5; i++) expect(await post(s, ok.url)).toMatchObject({ kind: "response", statusCode: 200 });
    expect(stuck.every((send) => send.result() === undefined)).toBe(true);
    await clock.advance(TIMEOUT_MS + SLICE_MS);
    for (const send of stuck) expect(await send.done).toMatchObject({ error: `timed out after ${TIMEOUT_MS} ms` });
  });

  it("closes a pool nothing was sent through for a while, and opens a new one when needed", async () => {
    const clock = new FakeClock();
    const busy = await receiver((_req, res) => res.writeHead(200).end());
    const idle = await receiver((_req, res) => res.writeHead(200).end());
    const s = sender(clock);
    await post(s, busy.url);
    await post(s, idle.url);
    for (let i = 0; i < 4; i++) {
      await clock.advance(POOL_IDLE_MS / 2);
      await post(s, busy.url);
    }
    // Two idle checks passed: the idle origin's pool was closed, its connection with it; the busy one's kept.
    await idle.waitFor(() => idle.closed === 1, "saw its connection closed");
    expect(busy.closed).toBe(0);
    expect(busy.connections).toBe(1);
    await post(s, idle.url);
    expect(idle.connections).toBe(2);
  });

  it("close() closes every pool's connections", async () => {
    const a = await receiver((_req, res) => res.writeHead(200).end());
    const b = await receiver((_req, res) => res.writeHead(200).end());
    const s = sender(new FakeClock());
    await post(s, a.url);
    await post(s, b.url);
    await s.close();
    await a.waitFor(() => a.closed === 1, "saw its connection closed");
    await b.waitFor(() => b.closed === 1, "saw its connection closed");
  });
});
