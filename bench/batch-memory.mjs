// Does the server's memory follow a batch's input size? A 1 GiB JSONL batch against smaller ones, same lines.
// See bench/README.md.
//
//   npm run bench:batch-memory                                   (builds, then 1024 MiB: a few minutes)
//   BENCH_BATCH_MEMORY_MB=128 node bench/batch-memory.mjs        (a smoke run)
//
// One server (SQLite in a temp dir, TIDINGS_PROVIDER=local, TIDINGS_LOCAL_DELAY_MS=0). Its RSS is sampled every
// BENCH_BATCH_MEMORY_RSS_MS, and its V8 heap (/metrics) every second, throughout:
//   1. warm-up (not reported): a small batch end to end; then the idle baseline, sampled for a few seconds;
//   2. small: a BENCH_BATCH_MEMORY_SMALL_MB JSONL file of BENCH_BATCH_MEMORY_LINE_KB lines, written to disk as a
//      stream, uploaded with @google/genai's ai.files.upload (the resumable protocol, 8 MiB chunks), run with
//      ai.batches.create({src: file}) and polled with ai.batches.get until it ends;
//   3. mid: the same with BENCH_BATCH_MEMORY_MID_MB; 4. large: with BENCH_BATCH_MEMORY_MB;
//   5. after: BENCH_BATCH_MEMORY_AFTER_S of samples once the large batch has ended.
// The rows: peak RSS during the large batch ÷ during the small one, and ÷ during the mid one. The small batch is
// over in about a second, before V8 has grown its heap to the size it keeps under a steady load; the mid one runs
// long enough to reach it, so large ÷ mid is the verdict (memory does not follow input size: ≈ 1).
import { once } from "node:events";
import { createWriteStream, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { GoogleGenAI } from "@google/genai";
import { intEnv, now, sleep } from "./lib.mjs";
import {
  API_KEY,
  ApiClient,
  cpuDelta,
  cpuSnapshot,
  fmt,
  logger,
  metricSums,
  NOISY_CORES,
  otherCores,
  othersLabel,
  row,
  rssMb,
  runMain,
  runMeta,
  saveResults,
  startProcesses,
  stopReceiver,
  stopServer,
  tempDir,
  warnDisturbed,
  withServerOutput,
} from "./harness.mjs";

const MIB = 1024 * 1024;
const LARGE_MB = intEnv("BENCH_BATCH_MEMORY_MB", 1024);
const SMALL_MB = intEnv("BENCH_BATCH_MEMORY_SMALL_MB", 16);
const MID_MB = intEnv("BENCH_BATCH_MEMORY_MID_MB", 128);
const WARMUP_MB = intEnv("BENCH_BATCH_MEMORY_WARMUP_MB", 2);
const LINE_KB = intEnv("BENCH_BATCH_MEMORY_LINE_KB", 64);
const RSS_MS = intEnv("BENCH_BATCH_MEMORY_RSS_MS", 250);
const HEAP_MS = 1000;
const POLL_MS = intEnv("BENCH_BATCH_MEMORY_POLL_MS", 500);
const IDLE_SECONDS = intEnv("BENCH_BATCH_MEMORY_IDLE_S", 3);
const AFTER_SECONDS = intEnv("BENCH_BATCH_MEMORY_AFTER_S", 10);
const MAX_SECONDS = intEnv("BENCH_BATCH_MEMORY_MAX_SECONDS", 3600);
const MODEL = "bench-model";
/** Large peak ÷ mid peak at most this: memory does not follow input size. */
const TARGET_RATIO = 1.2;

// ---------------------------------------------------------------------------------------------- the input
/** Prose-like ASCII (no character JSON would escape), from a seeded generator: every run writes the same bytes. */
function corpus(bytes) {
  const words = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she " +
    "there would their we him been has when who will more no if out so said what up its about into than them can only other new some " +
    "could time these two may then do first any my now such like our over man me even most made after also did many before must " +
    "through back years where much your way well down should because each just those people how too little state good very make world " +
    "webhook batch request model prompt response delivery endpoint retry signature server client operation queue latency throughput"
  ).split(" ");
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const parts = [];
  let length = 0;
  let sentence = 0;
  while (length < bytes) {
    const word = words[Math.floor(random() * words.length)];
    const piece = sentence === 0 ? `${word[0].toUpperCase()}${word.slice(1)}` : word;
    sentence = sentence >= 8 + Math.floor(random() * 12) ? 0 : sentence + 1;
    const text = sentence === 0 ? `${piece}. ` : `${piece} `;
    parts.push(text);
    length += text.length;
  }
  return Buffer.from(parts.join("").slice(0, bytes), "latin1");
}

const TEXT = corpus(4 * MIB);

/**
 * Writes `mb` MiB of JSONL, lines of about LINE_KB KiB (`{"key", "request": {"contents": [user text]}}`), to `path`
 * as a stream: no more than one line is in memory. Each line's text is its own number and a window of the corpus.
 */
async function writeJsonl(path, mb) {
  const lineBytes = LINE_KB * 1024;
  const count = Math.max(1, Math.floor((mb * MIB) / lineBytes));
  const out = createWriteStream(path);
  for (let i = 1; i <= count; i++) {
    const head = Buffer.from(
      `{"key":"k${i}","request":{"contents":[{"role":"user","parts":[{"text":"Document ${i}. `,
      "latin1",
    );
    const tail = Buffer.from(`"}]}]}}\n`, "latin1");
    const textBytes = Math.max(0, lineBytes - head.length - tail.length);
    const from = (i * 104_729) % (TEXT.length - textBytes);
    if (!out.write(Buffer.concat([head, TEXT.subarray(from, from + textBytes), tail]))) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { lines: count, bytes: statSync(path).size };
}

// ---------------------------------------------------------------------------------------------- sampling
/** RSS every RSS_MS and heap (from /metrics) every second, each sample tagged with the phase it fell in. */
function memorySampler(server) {
  const samples = [];
  const heap = [];
  let phase = "warm-up";
  const rssTimer = setInterval(() => {
    const mb = rssMb(server.proc.pid);
    if (mb !== undefined) samples.push({ phase, at: now(), mb });
  }, RSS_MS);
  let scraping = false;
  const heapTimer = setInterval(async () => {
    if (scraping) return;
    scraping = true;
    const phaseAtStart = phase;
    try {
      const sums = await metricSums(server.url, ["nodejs_heap_size_used_bytes", "nodejs_external_memory_bytes"]);
      const used = sums.nodejs_heap_size_used_bytes;
      if (used !== undefined)
        heap.push({
          phase: phaseAtStart,
          usedMb: used / MIB,
          externalMb: (sums.nodejs_external_memory_bytes ?? 0) / MIB,
        });
    } catch {
      /* the server is busy or gone: a missed sample */
    } finally {
      scraping = false;
    }
  }, HEAP_MS);
  const of = (list, name) => list.filter((s) => s.phase === name);
  const max = (values) => (values.length === 0 ? undefined : Math.round(Math.max(...values)));
  const min = (values) => (values.length === 0 ? undefined : Math.round(Math.min(...values)));
  const median = (values) => {
    if (values.length === 0) return undefined;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  return {
    set phase(name) {
      phase = name;
    },
    /** min / max / median / last RSS of a phase, with the heap's max, in MB. */
    summary(name) {
      const rss = of(samples, name).map((s) => s.mb);
      const h = of(heap, name);
      return {
        samples: rss.length,
        minMb: min(rss),
        maxMb: max(rss),
        medianMb: median(rss),
        lastMb: rss.at(-1),
        heapUsedMaxMb: max(h.map((s) => s.usedMb)),
        externalMaxMb: max(h.map((s) => s.externalMb)),
      };
    },
    stop() {
      clearInterval(rssTimer);
      clearInterval(heapTimer);
      return samples;
    },
  };
}

/**
 * GET /readyz (one store read) every RSS_MS on a connection of its own, until stopped: its slowest answer while
 * the batch is created is how long the store was held by the create (SQLite has one connection), what any other
 * API call or delivery waited meanwhile.
 */
function storeProbe(url) {
  const client = new ApiClient(url, 1);
  const worst = { create: 0, run: 0 };
  let phase = "create";
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = now();
      await client.raw("GET", "/readyz");
      worst[phase] = Math.max(worst[phase], now() - t);
      await sleep(RSS_MS);
    }
  })();
  return {
    created() {
      phase = "run";
    },
    async stop() {
      running = false;
      await loop;
      await client.close();
      return { createMs: Math.round(worst.create), runMs: Math.round(worst.run) };
    },
  };
}

// ---------------------------------------------------------------------------------------------- one batch
/**
 * Writes, uploads and runs one batch of `mb` MiB, the sampler's phase following along; the input is deleted after
 * upload.
 */
async function runBatch(log, { ai, api, server, receiver, sampler, dir, label, mb }) {
  const path = join(dir, `${label}.jsonl`);
  const t0 = now();
  const input = await writeJsonl(path, mb);
  log(`${label}: wrote ${fmt(input.lines)} lines, ${fmt(input.bytes / MIB, 1)} MiB in ${fmt((now() - t0) / 1000, 1)}s`);

  sampler.phase = `${label}-upload`;
  const uploadStart = now();
  const file = await ai.files.upload({
    file: path,
    config: { mimeType: "application/jsonl", displayName: `bench ${label}` },
  });
  const uploadSeconds = (now() - uploadStart) / 1000;
  rmSync(path, { force: true });
  log(`${label}: uploaded ${file.name} in ${fmt(uploadSeconds, 1)}s (${fmt(input.bytes / MIB / uploadSeconds)} MiB/s)`);

  sampler.phase = `${label}-batch`;
  const cpu0 = cpuSnapshot(server, receiver, { threads: false });
  const createdAt = Date.now();
  const createStart = now();
  const probe = storeProbe(server.url);
  let job = await ai.batches.create({ model: MODEL, src: file.name, config: { displayName: `bench ${label}` } });
  const createSeconds = (now() - createStart) / 1000;
  probe.created();
  log(`${label}: ${job.name} created in ${fmt(createSeconds, 1)}s`);
  const deadline = now() + MAX_SECONDS * 1000;
  let lastLog = now();
  while (!["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED"].includes(job.state)) {
    if (now() > deadline) throw new Error(`${label}: ${job.name} still ${job.state} after ${MAX_SECONDS}s`);
    await sleep(POLL_MS);
    job = await ai.batches.get({ name: job.name });
    if (now() - lastLog > 15_000) {
      lastLog = now();
      log(`${label}: ${job.state}, RSS ${rssMb(server.proc.pid) ?? "?"} MB`);
    }
  }
  const doneAt = now();
  const storeWait = await probe.stop();
  const cpu = cpuDelta(cpu0, cpuSnapshot(server, receiver, { threads: false }));
  sampler.phase = `${label}-done`;

  // Not measured: the run's facts, from the REST resource (its end time at the server's clock) and the output file.
  const rest = await api.call("GET", `/v1/${job.name}`);
  const stats = rest.metadata?.batchStats ?? {};
  const endTime = Date.parse(rest.metadata?.endTime ?? "");
  const runSeconds = Number.isNaN(endTime) ? (doneAt - createStart) / 1000 : (endTime - createdAt) / 1000;
  const outputName = job.dest?.fileName;
  const output = outputName ? await ai.files.get({ name: outputName }) : undefined;
  const checks = {
    succeeded: job.state === "JOB_STATE_SUCCEEDED",
    everyLineAnswered:
      Number(stats.requestCount) === input.lines && Number(stats.successfulRequestCount) === input.lines,
    outputWritten: output !== undefined && Number(output.sizeBytes) > 0,
  };
  const upload = sampler.summary(`${label}-upload`);
  const batch = sampler.summary(`${label}-batch`);
  const result = {
    label,
    mb,
    lines: input.lines,
    inputBytes: input.bytes,
    uploadSeconds: Math.round(uploadSeconds * 1000) / 1000,
    createSeconds: Math.round(createSeconds * 1000) / 1000,
    runSeconds: Math.round(runSeconds * 1000) / 1000,
    linesPerSecond: Math.round(input.lines / runSeconds),
    state: job.state,
    batchStats: stats,
    outputBytes: output === undefined ? undefined : Number(output.sizeBytes),
    upload,
    batch,
    slowestReadyzMs: storeWait,
    cpu,
    checks,
  };
  log(
    `${label}: ${job.state} in ${fmt(runSeconds, 1)}s (${fmt(result.linesPerSecond)} lines/s); RSS max ${upload.maxMb ?? "?"} MB uploading, ${batch.maxMb ?? "?"} MB running`,
  );
  if (!Object.values(checks).every(Boolean))
    log(`${label}: CHECK FAILED ${JSON.stringify({ checks, stats, error: rest.error })}`);
  return result;
}

// ---------------------------------------------------------------------------------------------- report
function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  const mb = (x) => (x === undefined ? "n/a" : `${fmt(x)} MB`);
  const times = (x) => (x === undefined ? "n/a" : `${fmt(x, 2)} ×`);
  lines.push("");
  lines.push(
    `Tidings batch memory — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` server RSS every ${r.config.rssMs} ms; lines of ${r.config.lineKb} KiB; SQLite; local provider, no delay; uploaded with ai.files.upload, polled with ai.batches.get`,
  );
  add(
    "idle baseline RSS (median, after warm-up)",
    mb(r.baseline.medianMb),
    `${r.baseline.samples} samples; heap used ${mb(r.baseline.heapUsedMaxMb)}`,
  );
  for (const b of r.batches) {
    const label = `${b.label}: ${fmt(b.inputBytes / MIB)} MiB, ${fmt(b.lines)} lines`;
    add(
      `${label}`,
      "",
      `upload ${fmt(b.uploadSeconds, 1)}s · create ${fmt(b.createSeconds, 1)}s · run ${fmt(b.runSeconds, 1)}s · ${othersLabel(b.cpu)}`,
    );
    add("  max RSS during upload", mb(b.upload.maxMb), `÷ baseline ${times(b.upload.maxMb / r.baseline.medianMb)}`);
    add(
      "  max RSS during batch (create → ended)",
      mb(b.batch.maxMb),
      `÷ baseline ${times(b.batch.maxMb / r.baseline.medianMb)}; min ${mb(b.batch.minMb)}; heap used max ${mb(b.batch.heapUsedMaxMb)}, external max ${mb(b.batch.externalMaxMb)}`,
    );
    add(
      "  lines/s (create sent → endTime)",
      `${fmt(b.linesPerSecond)} /s`,
      `output file ${fmt(b.outputBytes / MIB, 1)} MiB; ${b.state}`,
    );
    add(
      "  slowest GET /readyz (a store read) during create",
      `${fmt(b.slowestReadyzMs.createMs)} ms`,
      `during the run ${fmt(b.slowestReadyzMs.runMs)} ms`,
    );
  }
  add(
    `RSS ${r.config.afterSeconds}s after the large batch (last sample)`,
    mb(r.after.lastMb),
    `min ${mb(r.after.minMb)}, max ${mb(r.after.maxMb)}`,
  );
  add(
    `peak RSS ${fmt(r.config.largeMb)} MiB ÷ ${fmt(r.config.smallMb)} MiB batch`,
    times(r.peakRatio.small),
    `${fmt(r.config.smallMb)} MiB is over before V8's heap reaches its working size (see min/max)`,
  );
  add(
    `peak RSS ${fmt(r.config.largeMb)} MiB ÷ ${fmt(r.config.midMb)} MiB batch`,
    times(r.peakRatio.mid),
    `target ≤ ${TARGET_RATIO}: ${r.pass ? "PASS (memory does not follow input size)" : "MISS"}`,
  );
  for (const b of r.batches)
    if (!Object.values(b.checks).every(Boolean))
      lines.push(`  ! ${b.label}: a check failed: ${JSON.stringify(b.checks)}`);
  warnDisturbed(lines, r.disturbedPhases);
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("batch-memory", t0);
  const meta = runMeta();
  const config = {
    largeMb: LARGE_MB,
    smallMb: SMALL_MB,
    midMb: MID_MB,
    warmupMb: WARMUP_MB,
    lineKb: LINE_KB,
    rssMs: RSS_MS,
    pollMs: POLL_MS,
    idleSeconds: IDLE_SECONDS,
    afterSeconds: AFTER_SECONDS,
  };
  const dir = tempDir("tidings-bench-batch-memory-input-");
  const { receiver, server } = await startProcesses(log, "tidings-bench-batch-memory-", {
    TIDINGS_PROVIDER: "local",
    TIDINGS_LOCAL_DELAY_MS: "0",
  });
  const ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: server.url } });
  const api = new ApiClient(server.url, 2);
  const sampler = memorySampler(server);
  try {
    const results = await withServerOutput(server, async () => {
      const context = { ai, api, server, receiver, sampler, dir };
      await runBatch(log, { ...context, label: "warm-up", mb: WARMUP_MB });
      sampler.phase = "settle";
      await sleep(2000);
      sampler.phase = "idle";
      await sleep(IDLE_SECONDS * 1000);
      const baseline = sampler.summary("idle");
      log(`idle baseline: RSS ${baseline.medianMb} MB (median of ${baseline.samples})`);
      const small = await runBatch(log, { ...context, label: "small", mb: SMALL_MB });
      const mid = await runBatch(log, { ...context, label: "mid", mb: MID_MB });
      const large = await runBatch(log, { ...context, label: "large", mb: LARGE_MB });
      sampler.phase = "after";
      await sleep(AFTER_SECONDS * 1000);
      const after = sampler.summary("after");
      const ratio = (a, b) => Math.round((a.batch.maxMb / b.batch.maxMb) * 1000) / 1000;
      const peakRatio = { small: ratio(large, small), mid: ratio(large, mid) };
      const batches = [small, mid, large];
      return {
        meta,
        config,
        baseline,
        batches,
        after,
        peakRatio,
        targetRatio: TARGET_RATIO,
        pass: peakRatio.mid <= TARGET_RATIO && batches.every((b) => Object.values(b.checks).every(Boolean)),
        disturbedPhases: batches.filter((b) => otherCores(b.cpu) > NOISY_CORES).map((b) => b.label),
        rssSamples: sampler.stop().map((s) => [s.phase, Math.round(s.at - t0), s.mb]),
        totalSeconds: 0,
      };
    });
    saveResults("batch-memory.json", results, t0, printReport);
    if (results.batches.some((b) => !Object.values(b.checks).every(Boolean))) process.exitCode = 1;
  } finally {
    sampler.stop();
    await api.close();
    await stopServer(server);
    await stopReceiver(receiver);
  }
}

runMain(main);
