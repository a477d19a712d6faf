import { createSecretKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Worker } from "node:worker_threads";
import { jwtVerify } from "jose";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { ThreadedSender } from "../../../src/delivery/sender-thread/threaded-sender.js";

/**
 * The sender on its own thread (the build's worker), against real HTTP receivers on 127.0.0.1: results come back
 * to the request that asked, the policy and the deadline hold on that thread, a thread that dies is replaced,
 * and closing answers what was in flight.
 */

interface TestReceiver {
  url: string;
  requests: number;
  close(): Promise<void>;
}

const receivers: TestReceiver[] = [];
const senders: ThreadedSender[] = [];
afterEach(async () => {
  for (const sender of senders.splice(0)) await sender.close();
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function receiver(
  answer: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<TestReceiver> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      r.requests++;
      answer(req, res, Buffer.concat(chunks).toString("utf8"));
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const r: TestReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests: 0,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  receivers.push(r);
  return r;
}

function sender(options: Partial<ConstructorParameters<typeof ThreadedSender>[0]> = {}): ThreadedSender {
  const s = new ThreadedSender({ allowedCidrs: ["127.0.0.0/8"], timeoutMs: 2_000, ...options });
  senders.push(s);
  return s;
}

const post = (s: ThreadedSender, uri: string, n = 0) =>
  s.send({ uri, headers: { "content-type": "application/json", "webhook-id": `msg_${n}` }, body: `{"n":${n}}` });

/** Waits, in real time, for a condition (the other thread works on its own schedule). */
async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 500 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!what()) throw new Error(`never ${label}`);
}

describe("ThreadedSender", () => {
  it("signs each request on its thread, as its signing says, over the id, timestamp and body it sends", async () => {
    const heard: { headers: IncomingHttpHeaders; body: string }[] = [];
    const capture = await receiver((req, res, body) => {
      heard.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
    const hmacKey = randomBytes(32);
    const ed25519 = generateKeyPairSync("ed25519");
    // Standard Webhooks' verifier refuses a timestamp five minutes off its clock.
    const ts = Math.floor(Date.now() / 1000);
    const headers = (id: string) => ({
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(ts),
    });
    const body = '{"type":"job.succeeded"}';
    const s = sender();
    const results = await Promise.all([
      s.send({
        uri: capture.url,
        headers: headers("msg_entries"),
        body,
        signing: { kind: "entries", hmacKeys: [createSecretKey(hmacKey)], ed25519Keys: [ed25519.privateKey] },
      }),
      s.send({
        uri: capture.url,
        headers: headers("msg_jwt"),
        body,
        signing: {
          kind: "eddsa-jwt",
          key: ed25519.privateKey,
          kid: "k1",
          issuer: "https://tidings.test",
          audience: capture.url,
        },
      }),
      s.send({
        uri: capture.url,
        headers: { "content-type": "application/json" },
        body,
        signing: { kind: "signed", signature: "x" },
      }),
    ]);
    expect(results.map((r) => (r.kind === "response" ? r.statusCode : r.kind === "error" ? r.error : r.kind))).toEqual([
      204,
      204,
      "could not sign: no webhook-id or webhook-timestamp to sign",
    ]);
    const byId = new Map(heard.map((h) => [h.headers["webhook-id"], h]));
    const entries = byId.get("msg_entries")!;
    const [v1, v1a] = String(entries.headers["webhook-signature"]).split(" ");
    expect(() =>
      new Webhook(hmacKey.toString("base64")).verify(entries.body, {
        "webhook-id": "msg_entries",
        "webhook-timestamp": String(ts),
        "webhook-signature": v1!,
      }),
    ).not.toThrow();
    const content = Buffer.from(`msg_entries.${ts}.${body}`);
    expect(verify(null, content, ed25519.publicKey, Buffer.from(v1a!.slice("v1a,".length), "base64"))).toBe(true);
    const token = String(byId.get("msg_jwt")!.headers["webhook-signature"]);
    const { payload, protectedHeader } = await jwtVerify(token, ed25519.publicKey, {
      issuer: "https://tidings.test",
      audience: capture.url,
    });
    expect(protectedHeader).toEqual({ alg: "EdDSA", typ: "JWT", kid: "k1" });
    expect(payload).toMatchObject({ jti: "msg_jwt", iat: ts, type: "job.succeeded" });
  });

  it("answers each of many requests sent in one turn with its own response", async () => {
    // The status and the excerpt echo what the request carried: a result handed to the wrong request shows.
    const echo = await receiver((req, res, body) => {
      const n = Number(JSON.parse(body).n);
      if (req.headers["webhook-id"] !== `msg_${n}`) res.writeHead(400).end("headers of another request");
      else if (n % 2 === 0) res.writeHead(200).end();
      else res.writeHead(500 + (n % 4)).end(`failed ${n}`);
    });
    const s = sender();
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => post(s, echo.url, n)));
    results.forEach((result, n) => {
      if (n % 2 === 0) expect(result).toMatchObject({ kind: "response", statusCode: 200 });
      else expect(result).toMatchObject({ kind: "response", statusCode: 500 + (n % 4), body: `failed ${n}` });
      expect(result.kind !== "withdrawn" && result.latencyMs).toBeGreaterThanOrEqual(0);
    });
    expect(echo.requests).toBe(200);
  });

  it("starts at most an endpoint's slots at once and the next as each ends; withdraws what waits, unsent", async () => {
    let open = 0;
    let most = 0;
    const held: ServerResponse[] = [];
    const gate = await receiver((_req, res) => {
      most = Math.max(most, ++open);
      held.push(res);
    });
    const answerHeld = () => {
      for (const res of held.splice(0)) {
        open--;
        res.writeHead(200).end();
      }
    };
    const s = sender();
    const slot = { key: "gate", size: 2 };
    const send = (n: number) =>
      s.send({ uri: gate.url, headers: { "webhook-id": `msg_${n}` }, body: `{"n":${n}}` }, slot);
    const first = [0, 1, 2, 3, 4].map(send);
    await until(() => gate.requests === 2, "reached the receiver");
    // Three wait on the sending thread; each answer lets one more start, with no word from this thread.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gate.requests).toBe(2);
    answerHeld();
    await until(() => gate.requests === 4, "started the next two");
    answerHeld();
    await until(() => gate.requests === 5, "started the last");
    answerHeld();
    expect((await Promise.all(first)).map((r) => r.kind)).toEqual(Array(5).fill("response"));
    expect(most).toBe(2);
    // Two started and three waiting: withdrawn, the three answer at once, unsent; the two go on.
    const second = [5, 6, 7, 8, 9].map(send);
    await until(() => gate.requests === 7, "reached the receiver");
    s.withdraw();
    expect((await Promise.all(second.slice(2))).map((r) => r.kind)).toEqual(Array(3).fill("withdrawn"));
    answerHeld();
    expect((await Promise.all(second.slice(0, 2))).map((r) => r.kind)).toEqual(["response", "response"]);
    expect(gate.requests).toBe(7);
  });

  it("applies the address policy on its thread, and tells of a host name refused after DNS", async () => {
    const open = await receiver((_req, res) => res.writeHead(200).end());
    const refusals: string[] = [];
    const s = sender({ allowedCidrs: [], onRefusal: (host, why) => refusals.push(`${host}: ${why}`) });
    expect(await post(s, open.url)).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/^refused: 127\.0\.0\.1 is in 127\.0\.0\.0\/8 \(loopback\)/),
    });
    const port = new URL(open.url).port;
    expect(await post(s, `http://localhost:${port}/hook`)).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/refused: localhost resolves to a non-public address/),
    });
    expect(refusals).toEqual([expect.stringMatching(/^localhost: .*loopback/)]);
    expect(open.requests).toBe(0);
  });

  it("cuts a receiver that never answers at the deadline", async () => {
    const hang = await receiver(() => {});
    const s = sender({ timeoutMs: 300 });
    expect(await post(s, hang.url)).toMatchObject({ kind: "error", error: "timed out after 300 ms" });
  });

  it("answers what a thread that died held with an error, and sends on a new thread", async () => {
    const hang = await receiver(() => {});
    const open = await receiver((_req, res) => res.writeHead(204).end());
    const s = sender();
    const held = post(s, hang.url);
    await until(() => hang.requests === 1, "reached the receiver");
    await (s as unknown as { worker: Worker }).worker.terminate();
    expect(await held).toMatchObject({ kind: "error", error: expect.stringMatching(/^the sending thread exited/) });
    expect(await post(s, open.url)).toMatchObject({ kind: "response", statusCode: 204 });
  });

  it("answers what is in flight before it closes, and refuses what comes after", async () => {
    const slow = await receiver((_req, res) => setTimeout(() => res.writeHead(200).end(), 200));
    const s = sender();
    const inFlight = post(s, slow.url);
    await until(() => slow.requests === 1, "reached the receiver");
    let answered = false;
    void inFlight.then(() => (answered = true));
    await s.close();
    expect(answered).toBe(true);
    expect(await inFlight).toMatchObject({ kind: "response", statusCode: 200 });
    expect(await post(s, slow.url)).toMatchObject({ kind: "error", error: "the sender is closed" });
  });
});
