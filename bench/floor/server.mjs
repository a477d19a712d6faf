// The durable floor (issue 16): a minimal durable webhook dispatcher written for the bench, the least a server
// that keeps its events must do per event. node:http in; bench/floor/store.mjs (better-sqlite3, WAL,
// synchronous=NORMAL) for the writes: the calls of one turn of the event loop commit in one transaction, and each
// is answered only after its COMMIT; a complete writes one row (the event and its delivery) beside the checked
// update of its operation. Events go out with an undici Pool (same settings and per-endpoint concurrency as
// Tidings' sender), signed as Standard Webhooks v1 (HMAC), like bench/relay.mjs; the outcomes are recorded in one
// transaction every 20 ms. A failed attempt is retried later (in memory; its row stays pending, due then).
//
// It answers the same calls the bench client sends Tidings: `POST /v1/operations` (the create inserts a RUNNING
// operation, so that the complete's checked update has a row to change) and `POST /v1/operations/{id}:complete`.
//
// Run by run.mjs as a child process: argv = receiver URL, signing secret (whsec_...), concurrency, database path,
// secondary indexes (0–4; 4 is "the floor"). IPC: `{type: "checkpoint"}` runs a TRUNCATE checkpoint and replies,
// so that run.mjs can count every byte a phase owes the database file.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { Pool } from "undici";
import { openFloorStore } from "./store.mjs";

const [receiverUrl, secret, concurrencyText, databasePath, indexesText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const store = openFloorStore(databasePath, { indexes: Number(indexesText) });
const pool = new Pool(receiverUrl, { connections: 64, keepAliveTimeout: 30_000 });
const OUTCOME_FLUSH_MS = 20;
const RETRY_BASE_MS = 5_000;

// ---------------------------------------------------------------------------------------------- sending
const queue = [];
let inFlight = 0;
const attempts = new Map();

function send() {
  while (inFlight < concurrency && queue.length > 0) {
    const event = queue.shift();
    inFlight++;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      "content-type": "application/json",
      "user-agent": "floor/bench",
      "webhook-id": event.messageId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": `v1,${createHmac("sha256", key).update(`${event.messageId}.${timestamp}.${event.payload}`).digest("base64")}`,
    };
    pool
      .request({ method: "POST", path: "/hook", headers, body: event.payload })
      .then(async (res) => {
        for await (const _ of res.body) {
          /* drain */
        }
        return res.statusCode;
      })
      .catch(() => undefined)
      .then((status) => {
        inFlight--;
        settle(event, status);
        send();
      });
  }
}

// ---------------------------------------------------------------------------------------------- outcomes
let outcomes = [];
let outcomeTimer;

function settle(event, status) {
  const delivered = status !== undefined && status >= 200 && status < 300;
  let retryAt;
  if (delivered) attempts.delete(event.id);
  else {
    const tried = (attempts.get(event.id) ?? 0) + 1;
    attempts.set(event.id, tried);
    const delay = RETRY_BASE_MS * 2 ** (tried - 1);
    retryAt = Date.now() + delay;
    setTimeout(() => {
      queue.push(event);
      send();
    }, delay);
  }
  outcomes.push({ id: event.id, status, delivered, retryAt });
  outcomeTimer ??= setTimeout(flushOutcomes, OUTCOME_FLUSH_MS);
}

function flushOutcomes() {
  outcomeTimer = undefined;
  const batch = outcomes;
  outcomes = [];
  store.recordOutcomes(batch);
}

// ---------------------------------------------------------------------------------------------- the API
let writes = [];
let writeScheduled = false;

/** Commits every call of this turn in one transaction, then answers them and sends their events. */
function commitWrites() {
  writeScheduled = false;
  const batch = writes;
  writes = [];
  let results;
  try {
    results = store.commit(batch.map((w) => w.job));
  } catch (err) {
    for (const w of batch) reply(w.res, 500, { error: { code: 500, message: err.message } });
    return;
  }
  batch.forEach((w, i) => {
    const result = results[i];
    if (w.job.kind === "create") reply(w.res, 200, { name: `operations/${result.id}`, done: false });
    else if (result.event === undefined)
      reply(w.res, 409, { error: { code: 409, message: "not a running operation" } });
    else {
      reply(w.res, 200, { name: `operations/${w.job.id}`, done: true });
      queue.push(result.event);
    }
  });
  send();
}

function reply(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const m = /^\/v1\/operations(?:\/(\d+):complete)?$/.exec(req.url ?? "");
    if (req.method !== "POST" || !m) {
      reply(res, 404, { error: { code: 404, message: "not found" } });
      return;
    }
    let input;
    try {
      input = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
    } catch {
      reply(res, 400, { error: { code: 400, message: "the body is not JSON" } });
      return;
    }
    const job =
      m[1] === undefined
        ? { kind: "create", type: String(input.type ?? "custom") }
        : { kind: "complete", id: Number(m[1]), outputFileUri: input.output_file_uri };
    writes.push({ job, res });
    if (!writeScheduled) {
      writeScheduled = true;
      setImmediate(commitWrites);
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.send({ type: "listening", port: server.address().port }));

process.on("message", (msg) => {
  if (msg.type === "checkpoint") {
    if (outcomeTimer !== undefined) {
      clearTimeout(outcomeTimer);
      flushOutcomes();
    }
    const [result] = store.checkpoint();
    process.send({ type: "checkpoint", seq: msg.seq, ...result });
  }
});
process.on("disconnect", () => {
  store.close();
  process.exit(0);
});
