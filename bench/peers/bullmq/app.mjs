// A comparison peer: what a team builds instead of Tidings. A Fastify app answers the same calls as Tidings'
// API; its `POST /v1/operations/{id}:complete` enqueues a BullMQ job (Redis with AOF, started by start.mjs),
// and a BullMQ worker in the same process POSTs a Standard-Webhooks-signed event with undici to the receiver
// (same pool settings and concurrency as Tidings' sender). Jobs retry with exponential backoff like webhooks.
// `POST /v1/operations` hands out an id and keeps nothing, as bench/relay.mjs does: creates are not timed.
//
// Run by start.mjs as a child process: argv = receiver URL, signing secret (whsec_...), concurrency, Redis port.
import { createHmac, randomBytes } from "node:crypto";
import { Queue, Worker } from "bullmq";
import Fastify from "fastify";
import { Pool } from "undici";

const [receiverUrl, secret, concurrencyText, redisPort] = process.argv.slice(2);
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const pool = new Pool(receiverUrl, { connections: 64, keepAliveTimeout: 30_000 });
// Workers need maxRetriesPerRequest: null (their blocking commands must not time out).
const connection = { host: "127.0.0.1", port: Number(redisPort), maxRetriesPerRequest: null };
const QUEUE = "webhooks";

const queue = new Queue(QUEUE, {
  connection,
  defaultJobOptions: {
    attempts: 10,
    backoff: { type: "exponential", delay: 5000 },
    removeOnComplete: true,
    removeOnFail: 1000,
  },
});

const worker = new Worker(
  QUEUE,
  async (job) => {
    const { id, body } = job.data;
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await pool.request({
      method: "POST",
      path: "/hook",
      headers: {
        "content-type": "application/json",
        "user-agent": "bullmq-peer/bench",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`,
      },
      body,
    });
    for await (const _ of res.body) {
      /* drain */
    }
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
  },
  { connection, concurrency: Number(concurrencyText) },
);
worker.on("failed", (job, err) => process.stderr.write(`bullmq peer: job ${job?.id} failed: ${err.message}\n`));

let seq = 0;
const app = Fastify({ logger: false });
app.post("/v1/operations", async () => ({ name: `operations/${String(++seq).padStart(36, "0")}`, done: false }));
// Fastify has no `{id}:verb` routes: take the whole segment and split the verb off.
app.post("/v1/operations/:segment", async (req, reply) => {
  const [opId, verb] = req.params.segment.split(":");
  if (verb !== "complete") return reply.code(404).send({ error: { code: 404, message: "not found" } });
  const name = `operations/${opId}`;
  const body = JSON.stringify({
    type: "bench.succeeded",
    version: "v1",
    timestamp: new Date().toISOString(),
    data: {
      id: name,
      ...(req.body?.output_file_uri !== undefined ? { output_file_uri: req.body.output_file_uri } : {}),
    },
  });
  // The event id is fixed at enqueue time, so retries carry the same webhook-id.
  const id = `msg_${randomBytes(20).toString("base64url").slice(0, 27)}`;
  await queue.add("deliver", { id, body });
  return { name, done: true };
});

await worker.waitUntilReady();
const address = await app.listen({ port: 0, host: "127.0.0.1" });
process.send({ type: "listening", port: new URL(address).port });
process.on("disconnect", () => process.exit(0));
