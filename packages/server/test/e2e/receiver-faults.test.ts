import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { ManualClock, registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

/**
 * The receiver fault matrix: each way a receiver can misbehave, driven through the real delivery engine
 * (undici sender, SQLite store), with the outcome docs/wire.md (delivery semantics) prescribes and nothing lost. Time
 * is a manual
 * clock and the jitter is pinned, so retry times are exact; only the per-attempt timeout is real time.
 */

const TIMEOUT_MS = 500;
const STEP_MS = 10_000; // TIDINGS_RETRY_SCHEDULE=10: every retry 10 s after the last attempt
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/tls");

/** What a fault receiver does with the first request; every later one gets 200. */
type Fault = (req: IncomingMessage, res: ServerResponse) => void;

interface FaultReceiver {
  url: string;
  /** webhook-id of every request that reached the HTTP layer, in order. */
  ids: string[];
  close(): Promise<void>;
}

function listenOn(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

const sockets = new Set<Socket>();
function track(server: Server | ReturnType<typeof createTcpServer>): void {
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
}

async function faultReceiver(fault: Fault): Promise<FaultReceiver> {
  const ids: string[] = [];
  const server = createServer((req, res) => {
    ids.push(String(req.headers["webhook-id"]));
    req.resume();
    req.on("end", () => (ids.length === 1 ? fault(req, res) : res.writeHead(200).end("ok")));
  });
  track(server);
  const port = await listenOn(server);
  return { url: `http://127.0.0.1:${port}/hook`, ids, close: () => closeServer(server) };
}

/** Accepts the connection, swallows what is sent, never answers: a black hole at the TCP level. Then behaves. */
async function blackHoleReceiver(): Promise<FaultReceiver> {
  const ids: string[] = [];
  const http = createServer((req, res) => {
    ids.push(String(req.headers["webhook-id"]));
    req.resume();
    req.on("end", () => res.writeHead(200).end("ok"));
  });
  let connections = 0;
  const tcp = createTcpServer((socket) => {
    if (connections++ === 0) {
      socket.on("data", () => {}); // read and drop; never write, never close
      return;
    }
    http.emit("connection", socket);
  });
  track(tcp);
  const port = await listenOn(tcp);
  return { url: `http://127.0.0.1:${port}/hook`, ids, close: () => closeServer(tcp) };
}

/** An https receiver whose certificate nobody trusts (self-signed). */
async function untrustedTlsReceiver(): Promise<FaultReceiver> {
  const ids: string[] = [];
  const server = createHttpsServer(
    { key: readFileSync(join(FIXTURES, "self-signed.key")), cert: readFileSync(join(FIXTURES, "self-signed.crt")) },
    (req, res) => {
      ids.push(String(req.headers["webhook-id"]));
      res.writeHead(200).end("ok");
    },
  );
  track(server);
  const port = await listenOn(server);
  return { url: `https://127.0.0.1:${port}/hook`, ids, close: () => closeServer(server) };
}

function closeServer(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

let server: TestServer | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const close of closers.splice(0)) await close();
});

interface AttemptView {
  status_code?: number;
  error?: string;
  response_excerpt?: string;
  start_time: string;
  latency_ms: number;
}
interface DeliveryView {
  state: string;
  attempt_count: number;
  next_attempt_time?: string;
  last_error?: string;
  attempts: AttemptView[];
}

/** A server on a manual clock, a webhook to `receiver`, and one event sent to it. */
async function deliverOneEvent(receiver: FaultReceiver) {
  closers.push(() => receiver.close());
  const clock = new ManualClock(Date.parse("2026-05-04T12:00:00Z"));
  server = await startTidings({
    clock,
    random: () => 0.5, // no jitter: retries land exactly on the schedule
    env: { TIDINGS_RETRY_SCHEDULE: String(STEP_MS / 1000), TIDINGS_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
  const s = server;
  const webhook = await registerWebhook(s, receiver.url, ["export.*"]);
  const op = await s.api("POST", "/v1/operations", { type: "export" });
  await s.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/out" });
  const delivery = async (): Promise<DeliveryView> =>
    (await s.api("GET", `/v1/webhooks/${webhook.id}/deliveries`)).body.deliveries[0];
  /** Waits until `count` attempts are on record and the delivery is settled or scheduled. */
  const attempts = async (count: number): Promise<DeliveryView> => {
    let d: DeliveryView | undefined;
    await waitUntil(
      async () => {
        d = await delivery();
        return d !== undefined && d.attempts.length >= count;
      },
      20_000,
      `${count} attempt(s) on record`,
    );
    return d!;
  };
  /** Moves time to the next attempt and lets the engine look. */
  const advance = (ms: number) => {
    clock.advance(ms);
    s.engine.wake();
  };
  return { webhook, clock, delivery, attempts, advance, startedAt: clock.now() };
}

const retryDelay = (d: DeliveryView) => Date.parse(d.next_attempt_time!) - Date.parse(d.attempts.at(-1)!.start_time);

/** A failed first attempt is retried on schedule and then succeeds: nothing is lost. */
async function expectRetriedThenDelivered(
  run: Awaited<ReturnType<typeof deliverOneEvent>>,
  receiver: FaultReceiver,
  delayMs = STEP_MS,
) {
  const first = await run.attempts(1);
  expect(first.state).toBe("pending");
  expect(retryDelay(first)).toBe(delayMs);
  run.advance(delayMs);
  const done = await run.attempts(2);
  await waitUntil(async () => (await run.delivery()).state === "succeeded", 10_000, "the retry to succeed");
  expect(done.attempts[1]!.status_code).toBe(200);
  // Every request of the delivery carried the one webhook-id, so a receiver can drop the repeat.
  expect(new Set(receiver.ids).size).toBeLessThanOrEqual(1);
  return first.attempts[0]!;
}

describe("receiver fault matrix (docs/wire.md: delivery semantics)", () => {
  it("5xx: retried on schedule, then delivered", async () => {
    const receiver = await faultReceiver((_req, res) => res.writeHead(500).end("boom"));
    const first = await expectRetriedThenDelivered(await deliverOneEvent(receiver), receiver);
    expect(first).toMatchObject({ status_code: 500, response_excerpt: "boom" });
  });

  it("429 with Retry-After: honoured within [next step, 2 × next step], then delivered", async () => {
    const receiver = await faultReceiver((_req, res) => res.writeHead(429, { "retry-after": "15" }).end());
    const first = await expectRetriedThenDelivered(await deliverOneEvent(receiver), receiver, 15_000);
    expect(first.status_code).toBe(429);
  });

  it("503 with a Retry-After beyond twice the step: clamped to it, then delivered", async () => {
    const receiver = await faultReceiver((_req, res) => res.writeHead(503, { "retry-after": "3600" }).end());
    const first = await expectRetriedThenDelivered(await deliverOneEvent(receiver), receiver, 2 * STEP_MS);
    expect(first.status_code).toBe(503);
  });

  it("410: the webhook is disabled; the delivery is kept as failed, visible and recoverable", async () => {
    const receiver = await faultReceiver((_req, res) => res.writeHead(410).end());
    const run = await deliverOneEvent(receiver);
    await waitUntil(async () => (await run.delivery()).state === "failed", 10_000, "the delivery to fail");
    const d = await run.delivery();
    expect(d).toMatchObject({ state: "failed", attempt_count: 1, last_error: "HTTP 410 Gone" });
    await waitUntil(
      async () => (await server!.api("GET", `/v1/webhooks/${run.webhook.id}`)).body.state === "disabled",
      10_000,
      "the webhook to be disabled",
    );
    const failed = await server!.api("GET", `/v1/webhooks/${run.webhook.id}/deliveries?state=failed`);
    expect(failed.body.deliveries).toHaveLength(1);
  });

  it("3xx: a failure, not followed, retried, then delivered", async () => {
    const elsewhere: Receiver = await startReceiver();
    closers.push(() => elsewhere.close());
    const receiver = await faultReceiver((_req, res) => res.writeHead(307, { location: elsewhere.url }).end());
    const first = await expectRetriedThenDelivered(await deliverOneEvent(receiver), receiver);
    expect(first.status_code).toBe(307);
    expect(elsewhere.received).toHaveLength(0);
  });

  it("timeout (no answer): cut off at the timeout, retried, then delivered", async () => {
    const receiver = await faultReceiver(() => {});
    const first = await expectRetriedThenDelivered(await deliverOneEvent(receiver), receiver);
    expect(first.error).toBe(`timed out after ${TIMEOUT_MS} ms`);
  });

  it("connection reset: retried, then delivered", async () => {
    const receiver = await faultReceiver((req) => req.socket.resetAndDestroy());
    const first = await expectRetriedThenDelivered(await deliverOneEvent(receiver), receiver);
    expect(first.error).toMatch(/ECONNRESET|socket|closed/i);
    expect(first.status_code).toBeUndefined();
  });

  it("black hole (connected, never answered): cut off at the timeout, retried, then delivered", async () => {
    const receiver = await blackHoleReceiver();
    const run = await deliverOneEvent(receiver);
    const first = await expectRetriedThenDelivered(run, receiver);
    expect(first.error).toBe(`timed out after ${TIMEOUT_MS} ms`);
    expect(receiver.ids).toHaveLength(1); // only the retry reached HTTP
  });

  it("TLS error (a certificate the server does not trust): never sent in the clear, kept pending for retries", async () => {
    const receiver = await untrustedTlsReceiver();
    const run = await deliverOneEvent(receiver);
    const first = await run.attempts(1);
    expect(first.state).toBe("pending");
    expect(first.attempts[0]!.error).toMatch(/certificate/i);
    expect(retryDelay(first)).toBe(STEP_MS);
    run.advance(STEP_MS);
    const second = await run.attempts(2);
    expect(second.state).toBe("pending");
    expect(receiver.ids).toHaveLength(0);
  });

  it("slow-drip body (a 2xx, then bytes trickling past the timeout): the 2xx counts, the body is cut at the timeout", async () => {
    let dripping: NodeJS.Timeout | undefined;
    const receiver = await faultReceiver((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      dripping = setInterval(() => res.write("."), 50);
      res.on("close", () => clearInterval(dripping));
    });
    closers.push(async () => clearInterval(dripping));
    const run = await deliverOneEvent(receiver);
    await waitUntil(async () => (await run.delivery()).state !== "pending", 10_000, "the delivery to settle");
    const d = await run.delivery();
    expect(d.state).toBe("succeeded");
    expect(d.attempts).toHaveLength(1);
    expect(d.attempts[0]!.status_code).toBe(200);
    // The body was read until the deadline and cut there (a success keeps no excerpt: it is on the delivery's row).
    expect(d.attempts[0]!.latency_ms).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(d.attempts[0]!.response_excerpt).toBeUndefined();
    expect(receiver.ids).toHaveLength(1);
  });

  it("a 2xx that arrives after the timeout: a failure, retried with the same webhook-id, then delivered", async () => {
    const receiver = await faultReceiver((_req, res) =>
      setTimeout(() => res.writeHead(200).end("late"), TIMEOUT_MS * 2),
    );
    const run = await deliverOneEvent(receiver);
    const first = await expectRetriedThenDelivered(run, receiver);
    expect(first.error).toBe(`timed out after ${TIMEOUT_MS} ms`);
    expect(receiver.ids).toHaveLength(2);
  });
});
