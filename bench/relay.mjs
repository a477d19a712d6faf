// A calibration stand-in for the server: the least any single-process Node design must do per event.
// It accepts the same `POST /v1/operations/{id}:complete` calls, answers 200 at once, and POSTs a signed
// event to the receiver with undici (same pool settings and per-endpoint concurrency as Tidings' sender),
// but keeps nothing: no database, no framework, no retries. End-to-end through the relay is the ceiling
// for the "API in → webhook out" path on this machine with these three processes sharing its cores.
//
// Run by run.mjs as a child process: argv = receiver URL, signing secret (whsec_...), concurrency.
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { Pool } from "undici";

const [receiverUrl, secret, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const pool = new Pool(receiverUrl, { connections: 64, keepAliveTimeout: 30_000 });
const queue = [];
let inFlight = 0;
let seq = 0;

function drain() {
  while (inFlight < concurrency && queue.length > 0) {
    const body = queue.shift();
    inFlight++;
    const id = `msg_${randomBytes(20).toString("base64url").slice(0, 27)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      "content-type": "application/json",
      "user-agent": "Tidings-relay/bench",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`,
    };
    pool
      .request({ method: "POST", path: "/hook", headers, body })
      .then(async (res) => {
        for await (const _ of res.body) {
          /* drain */
        }
      })
      .catch((err) => process.stderr.write(`relay: ${err.message}\n`))
      .finally(() => {
        inFlight--;
        drain();
      });
  }
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const m = /^\/v1\/operations(?:\/([^/:]+):complete)?$/.exec(req.url ?? "");
    if (req.method !== "POST" || !m) {
      res.writeHead(404).end();
      return;
    }
    const input = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
    if (m[1] === undefined) {
      // Create: hand out an id, keep nothing.
      const name = `operations/${String(++seq).padStart(36, "0")}`;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name, done: false }));
      return;
    }
    const name = `operations/${m[1]}`;
    const event = JSON.stringify({
      type: "bench.succeeded",
      version: "v1",
      timestamp: new Date().toISOString(),
      data: { id: name, ...(input.output_file_uri !== undefined ? { output_file_uri: input.output_file_uri } : {}) },
    });
    queue.push(event);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name, done: true }));
    setImmediate(drain);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.send({ type: "listening", port: server.address().port }));
process.on("disconnect", () => process.exit(0));
