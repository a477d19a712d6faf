// Batch throughput on the `local` provider (no delay), and the batch's completion → webhook latency.
// See bench/README.md.
//
//   npm run build && node bench/batch.mjs
//   BENCH_BATCH_LINES=10000 node bench/batch.mjs
//
// One server (TIDINGS_PROVIDER=local, TIDINGS_LOCAL_DELAY_MS=0), one receiver with a static webhook for batch.*.
//   1. warm-up (not reported): a small batch end to end and a few sync calls.
//   2. baseline: the same L prompts through `models/bench-model:generateContent` (sync), 16 in flight.
//   3. batch: upload the L-line JSONL (resumable protocol, not timed), then time
//      `models/bench-model:batchGenerateContent` → the receiver has `batch.succeeded`. The batch's
//      metadata.endTime (server clock, ms resolution) splits that into run time and completion → webhook.
//   4. checks (not timed): the responses file has one line per key, each with a response.
import { Pool } from "undici";
import { forEachConcurrent, intEnv, now, perfMinusWallMs, sleep, summarize } from "./lib.mjs";
import {
  ApiClient,
  cpuDelta,
  cpuSnapshot,
  fmt,
  logger,
  NOISY_CORES,
  otherCores,
  othersLabel,
  row,
  runMain,
  runMeta,
  saveResults,
  serverThreadsLabel,
  startProcesses,
  stopReceiver,
  stopServer,
  warnDisturbed,
  withServerOutput,
} from "./harness.mjs";

const LINES = Math.round(intEnv("BENCH_BATCH_LINES", 10_000));
const SYNC_CONCURRENCY = Math.round(intEnv("BENCH_SYNC_CONCURRENCY", 16));
const WARMUP_LINES = Math.round(intEnv("BENCH_BATCH_WARMUP", 200));
const POLL_MS = Number(process.env.BENCH_BATCH_POLL_MS ?? 100);
const PROBE_MS = Number(process.env.BENCH_BATCH_PROBE_MS ?? 10);
const MODEL = "bench-model";

const prompt = (i) => `bench prompt ${i}: in one sentence, why do webhooks beat polling for long-running jobs?`;
const requestOf = (i) => ({ contents: [{ role: "user", parts: [{ text: prompt(i) }] }] });
const jsonl = (count) =>
  `${Array.from({ length: count }, (_, i) => JSON.stringify({ key: `k${i + 1}`, request: requestOf(i + 1) })).join("\n")}\n`;

/** The resumable upload protocol of ai.files.upload: start, then one "upload, finalize" chunk. */
async function upload(api, bytes, displayName) {
  const start = await api.raw("POST", "/upload/v1beta/files", JSON.stringify({ file: { displayName } }), {
    "content-type": "application/json",
    "x-goog-upload-protocol": "resumable",
    "x-goog-upload-command": "start",
    "x-goog-upload-header-content-length": String(bytes.length),
    "x-goog-upload-header-content-type": "application/jsonl",
  });
  const uploadUrl = start.headers["x-goog-upload-url"];
  if (start.statusCode !== 200 || typeof uploadUrl !== "string")
    throw new Error(`upload start -> ${start.statusCode}: ${start.text.slice(0, 400)}`);
  const url = new URL(uploadUrl);
  const done = await api.raw("POST", url.pathname + url.search, bytes, {
    "content-type": "application/octet-stream",
    "x-goog-upload-command": "upload, finalize",
    "x-goog-upload-offset": "0",
  });
  if (done.statusCode !== 200) throw new Error(`upload finalize -> ${done.statusCode}: ${done.text.slice(0, 400)}`);
  return JSON.parse(done.text).file;
}

async function syncBaseline(server, receiver, api, count) {
  const cpu0 = cpuSnapshot(server, receiver);
  const start = now();
  let bad = 0;
  await forEachConcurrent(new Array(count), SYNC_CONCURRENCY, async (_, i) => {
    const reply = await api.call("POST", `/v1/models/${MODEL}:generateContent`, requestOf(i + 1));
    if (typeof reply?.candidates?.[0]?.content?.parts?.[0]?.text !== "string") bad++;
  });
  const elapsed = now() - start;
  const cpu = cpuDelta(cpu0, cpuSnapshot(server, receiver));
  return {
    requests: count,
    concurrency: SYNC_CONCURRENCY,
    seconds: Math.round(elapsed) / 1000,
    requestsPerSecond: Math.round((count / elapsed) * 1000),
    serverCpuPerRequestUs:
      cpu.serverCpuSeconds !== undefined ? Math.round((cpu.serverCpuSeconds / count) * 1e6) : undefined,
    badReplies: bad,
    cpu,
  };
}

/**
 * Asks GET /healthz every PROBE_MS ms (one at a time, on a connection of its own) until stopped: the round trips
 * show how long the server's event loop is blocked while the batch is created, run and written out.
 */
function responsivenessProbe(url) {
  const pool = new Pool(url, { connections: 1, keepAliveTimeout: 30_000 });
  const rtts = [];
  let running = true;
  let stop;
  const stopped = new Promise((resolve) => (stop = resolve));
  const loop = (async () => {
    while (running) {
      const t = now();
      const res = await pool.request({ method: "GET", path: "/healthz" });
      await res.body.text();
      rtts.push(now() - t);
      await Promise.race([sleep(PROBE_MS), stopped]);
    }
  })();
  return async () => {
    running = false;
    stop();
    await loop;
    await pool.close();
    return { periodMs: PROBE_MS, roundTripMs: summarize(rtts) };
  };
}

/**
 * Creates a batch from `fileName` and waits until the receiver has its batch.succeeded (or another batch.* event).
 * `clocks` converts between this process's and the receiver's performance clocks and the server's Date.now().
 */
async function runBatch(server, receiver, api, fileName, count, clocks, { poll = false } = {}) {
  await receiver.child.call("reset", { phase: `batch ${count}`, record: true, expect: 1, verifyEvery: 1 });
  receiver.child.clearEvents();
  const stopProbe = poll && PROBE_MS > 0 ? responsivenessProbe(server.url) : undefined;
  await sleep(20);
  const cpu0 = cpuSnapshot(server, receiver);
  const sentAt = now();
  const op = await api.call("POST", `/v1/models/${MODEL}:batchGenerateContent`, {
    batch: { displayName: "bench", inputConfig: { fileName } },
  });
  const repliedAt = now();
  const progress = [];
  let polling = poll && POLL_MS > 0;
  let stopPolling;
  const stopped = new Promise((resolve) => (stopPolling = resolve));
  const poller = (async () => {
    while (polling) {
      await Promise.race([sleep(POLL_MS), stopped]);
      if (!polling) break;
      const b = await api.call("GET", `/v1/${op.name}`);
      progress.push({
        atMs: Math.round(now() - sentAt),
        state: b.metadata.state,
        done: Number(b.metadata.batchStats.successfulRequestCount) + Number(b.metadata.batchStats.failedRequestCount),
      });
    }
  })();
  const reached = await receiver.child.waitEvent("reached", Math.max(60_000, count * 20));
  polling = false;
  stopPolling();
  await poller;
  const cpu = cpuDelta(cpu0, cpuSnapshot(server, receiver));
  const responsiveness = await stopProbe?.();
  const { receipts } = await receiver.child.call("receipts");
  const stats = await receiver.child.call("stats");
  const batch = await api.call("GET", `/v1/${op.name}`);
  const m = batch.metadata;
  const receipt = new Map(receipts).get(op.name);
  const problems = [];
  if (reached === undefined)
    problems.push(`no webhook within the timeout (state ${m.state}, ${JSON.stringify(m.batchStats)})`);
  if (m.state !== "BATCH_STATE_SUCCEEDED")
    problems.push(`state ${m.state}${batch.error ? `: ${batch.error.message}` : ""}`);
  if (Number(m.batchStats.successfulRequestCount) !== count)
    problems.push(`successfulRequestCount ${m.batchStats.successfulRequestCount} of ${count}`);
  if (receipt === undefined && reached !== undefined)
    problems.push(`the receiver got a webhook, but none for ${op.name}`);
  if (stats.verified !== stats.requests || stats.verifyFailureCount > 0)
    problems.push(
      `webhook signatures: ${stats.verified} verified of ${stats.requests}, ${stats.verifyFailures.join("; ")}`,
    );

  // Everything on Date.now()'s scale (the server's clock), in ms.
  const sentWall = sentAt - clocks.benchPerfMinusWall;
  const endWall = m.endTime !== undefined ? Date.parse(m.endTime) : undefined;
  const createWall = Date.parse(m.createTime);
  const receiptWall = receipt !== undefined ? receipt - clocks.receiverPerfMinusWall : undefined;
  const runMs = endWall !== undefined ? endWall - sentWall : undefined;
  const attempt = await firstAttempt(api, op.name);
  const attemptWall = attempt?.start_time !== undefined ? Date.parse(attempt.start_time) : undefined;
  const r1 = (x) => (x === undefined ? undefined : Math.round(x * 10) / 10);
  return {
    name: op.name,
    lines: count,
    state: m.state,
    batchStats: m.batchStats,
    createTime: m.createTime,
    endTime: m.endTime,
    responsesFile: m.output?.responsesFile,
    createReplyMs: r1(repliedAt - sentAt),
    createToEndMs: r1(runMs),
    serverCreateToEndMs: endWall !== undefined ? endWall - createWall : undefined,
    requestsPerSecond: runMs ? Math.round((count / runMs) * 1000) : undefined,
    createToWebhookMs: receiptWall !== undefined ? r1(receiptWall - sentWall) : undefined,
    endToWebhookMs:
      receiptWall !== undefined && endWall !== undefined ? Math.round((receiptWall - endWall) * 100) / 100 : undefined,
    // The split of completion → webhook, from the delivery's first attempt (start_time also has ms resolution).
    endToAttemptStartMs: attemptWall !== undefined && endWall !== undefined ? attemptWall - endWall : undefined,
    attemptStartToReceiptMs:
      attemptWall !== undefined && receiptWall !== undefined
        ? Math.round((receiptWall - attemptWall) * 100) / 100
        : undefined,
    attemptLatencyMs: attempt?.latency_ms,
    webhooks: stats.requests,
    verified: stats.verified,
    serverCpuPerLineUs:
      cpu.serverCpuSeconds !== undefined ? Math.round((cpu.serverCpuSeconds / count) * 1e6) : undefined,
    progress,
    responsiveness,
    problems,
    cpu,
  };
}

/** The first attempt of the batch event's delivery, from GET /v1/events/{id} (recorded a few ms after the send). */
async function firstAttempt(api, operation) {
  for (let i = 0; i < 10; i++) {
    const { events } = await api.call("GET", `/v1/events?operation=${encodeURIComponent(operation)}`);
    const event = events?.find((e) => e.type.startsWith("batch."));
    if (event !== undefined) {
      const detail = await api.call("GET", `/v1/events/${event.id}`);
      const attempt = detail.deliveries?.[0]?.attempts?.[0];
      if (attempt !== undefined) return attempt;
    }
    await sleep(50);
  }
  return undefined;
}

/** The responses file: one line per input key, each with a response (not timed). */
async function checkOutput(api, responsesFile, count) {
  if (responsesFile === undefined) return ["no responsesFile"];
  const res = await api.raw("GET", `/download/v1beta/${responsesFile}:download?alt=media`);
  if (res.statusCode !== 200) return [`download ${responsesFile} -> ${res.statusCode}`];
  const keys = new Set();
  let withResponse = 0;
  const lines = res.text.split("\n").filter((l) => l !== "");
  for (const line of lines) {
    const parsed = JSON.parse(line);
    keys.add(parsed.key);
    if (parsed.response?.candidates?.[0]?.content?.parts?.[0]?.text !== undefined) withResponse++;
  }
  const problems = [];
  if (lines.length !== count) problems.push(`responses file has ${lines.length} lines, expected ${count}`);
  if (keys.size !== count) problems.push(`responses file has ${keys.size} distinct keys, expected ${count}`);
  if (withResponse !== count) problems.push(`${count - withResponse} lines without a response`);
  return problems;
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  const b = r.batch;
  const s = r.sync;
  lines.push("");
  lines.push(
    `Tidings batch benchmark (local provider, no delay) — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(` baseline: ${fmt(s.requests)} × generateContent (sync), ${s.concurrency} in flight`);
  add(
    "sync requests/s",
    `${fmt(s.requestsPerSecond)} /s`,
    `${s.seconds} s · server CPU/request ${fmt(s.serverCpuPerRequestUs)} µs · ${othersLabel(s.cpu)}`,
  );
  lines.push(
    ` batch: ${fmt(b.lines)} lines from an uploaded JSONL (${fmt(r.upload.bytes / 1024)} KiB, upload ${fmt(r.upload.ms)} ms, not timed) → batch.succeeded`,
  );
  add(
    "batch requests/s (create sent → endTime)",
    `${fmt(b.requestsPerSecond)} /s`,
    `${fmt(b.createToEndMs / 1000, 2)} s · server CPU/line ${fmt(b.serverCpuPerLineUs)} µs · ${othersLabel(b.cpu)}`,
  );
  add("ratio batch / sync", `${fmt(r.ratio, 2)} ×`);
  add("create request round trip", `${fmt(b.createReplyMs, 1)} ms`, "reads the file, inserts the lines");
  add("server createTime → endTime", `${fmt(b.serverCreateToEndMs)} ms`);
  add("total: create sent → webhook received", `${fmt(b.createToWebhookMs / 1000, 3)} s`);
  add(
    "completion → webhook (receipt − endTime)",
    `${fmt(b.endToWebhookMs, 1)} ms`,
    "endTime has ms resolution (reads up to 1 ms long)",
  );
  add(
    "  endTime → attempt start / start → receipt",
    `${fmt(b.endToAttemptStartMs)} / ${fmt(b.attemptStartToReceiptMs, 1)} ms`,
    `attempt's own latency_ms ${fmt(b.attemptLatencyMs)} (all ±1 ms)`,
  );
  if (b.progress.length > 0) {
    add(
      `progress every ${POLL_MS} ms (lines done)`,
      "",
      b.progress.map((p) => `${fmt(p.atMs / 1000, 1)}s:${p.done}`).join(" "),
    );
  }
  if (b.responsiveness) {
    const rt = b.responsiveness.roundTripMs;
    add(
      `GET /healthz every ${b.responsiveness.periodMs} ms meanwhile (ms)`,
      `${fmt(rt.p50, 1)} / ${fmt(rt.p99, 1)} / ${fmt(rt.max, 1)}`,
      `p50 / p99 / max of ${rt.count}: the server's event-loop stalls`,
    );
  }
  add("server threads during the batch", "", serverThreadsLabel(b.cpu));
  lines.push(" checks");
  add(
    "batch state / stats",
    b.state.replace("BATCH_STATE_", ""),
    `${b.batchStats.successfulRequestCount} ok, ${b.batchStats.failedRequestCount} failed of ${b.batchStats.requestCount}`,
  );
  add("webhook (static, HMAC) received / verified", `${b.webhooks} / ${b.verified}`);
  add("responses file", r.outputProblems.length === 0 ? "one line per key, all answered" : "PROBLEMS");
  add(
    "clocks: perf − Date.now(), bench / receiver",
    `${fmt(r.clocks.benchPerfMinusWall, 3)} / ${fmt(r.clocks.receiverPerfMinusWall, 3)} ms`,
  );
  if (r.serverWarnings > 0) add("server log lines at warn or above", r.serverWarnings);
  for (const problem of [...r.warmupProblems.map((p) => `warm-up: ${p}`), ...b.problems, ...r.outputProblems])
    lines.push(`  ! ${problem}`);
  if (s.badReplies > 0) lines.push(`  ! ${s.badReplies} sync replies without text`);
  warnDisturbed(lines, r.disturbedPhases);
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("batch", t0);
  const meta = runMeta();
  const config = {
    lines: LINES,
    syncConcurrency: SYNC_CONCURRENCY,
    warmupLines: WARMUP_LINES,
    model: MODEL,
    pollMs: POLL_MS,
  };

  const { receiver, server } = await startProcesses(log, "tidings-bench-batch-", {
    TIDINGS_PROVIDER: "local",
    TIDINGS_LOCAL_DELAY_MS: "0",
  });
  const api = new ApiClient(server.url, SYNC_CONCURRENCY);
  await withServerOutput(server, async () => {
    const webhook = await api.call("POST", "/v1/webhooks", {
      uri: `${receiver.url}/hook`,
      subscribed_events: ["batch.*"],
    });
    await receiver.child.call("reset", { phase: "setup", secret: webhook.new_signing_secret });
    const clocks = {
      benchPerfMinusWall: perfMinusWallMs(),
      receiverPerfMinusWall: (await receiver.child.call("wallclock")).perfMinusWallMs,
    };

    log(`warm-up: a ${WARMUP_LINES}-line batch and ${WARMUP_LINES} sync calls`);
    const warmFile = await upload(api, Buffer.from(jsonl(WARMUP_LINES)), "bench warm-up");
    const warm = await runBatch(server, receiver, api, warmFile.name, WARMUP_LINES, clocks);
    await syncBaseline(server, receiver, api, WARMUP_LINES);

    const bytes = Buffer.from(jsonl(LINES));
    const uploadStart = now();
    const file = await upload(api, bytes, "bench");
    const uploadInfo = { bytes: bytes.length, ms: Math.round(now() - uploadStart), name: file.name };
    await sleep(200);

    log(`baseline: ${LINES} sync generateContent calls, ${SYNC_CONCURRENCY} in flight`);
    const sync = await syncBaseline(server, receiver, api, LINES);
    log(`baseline: ${sync.requestsPerSecond} requests/s`);
    await sleep(200);

    log(`batch: ${LINES} lines (${file.name})`);
    const batch = await runBatch(server, receiver, api, file.name, LINES, clocks, { poll: true });
    log(`batch: ${batch.requestsPerSecond} requests/s, completion → webhook ${batch.endToWebhookMs} ms`);
    const outputProblems = await checkOutput(api, batch.responsesFile, LINES);

    const results = {
      meta,
      config,
      upload: uploadInfo,
      sync,
      batch,
      ratio:
        batch.requestsPerSecond && sync.requestsPerSecond
          ? Math.round((batch.requestsPerSecond / sync.requestsPerSecond) * 1000) / 1000
          : undefined,
      clocks,
      warmupProblems: warm.problems,
      outputProblems,
      disturbedPhases: [
        ...(otherCores(sync.cpu) > NOISY_CORES ? ["sync baseline"] : []),
        ...(otherCores(batch.cpu) > NOISY_CORES ? ["batch"] : []),
      ],
      serverWarnings: server.logLines.length,
      serverWarningSamples: server.logLines.slice(0, 5),
      totalSeconds: 0,
    };
    await api.close();
    await stopServer(server);
    await stopReceiver(receiver);
    saveResults("batch.json", results, t0, printReport);
    if (batch.problems.length > 0 || outputProblems.length > 0 || warm.problems.length > 0 || sync.badReplies > 0)
      process.exitCode = 1;
  });
}

runMain(main);
