// Tidings delivery benchmark. See bench/README.md.
//
//   npm run bench                      (builds, then runs this)
//   BENCH_EVENTS=5000 BENCH_SECONDS=10 node bench/run.mjs
//   BENCH_PROFILE=1 node bench/run.mjs (also writes CPU profiles of the server, the relay and the floor to
//                                      bench/results/profiles/; bench/profile-stages.mjs splits them by stage)
//
// Phases, in one run, against one server process and one receiver process:
//   1. ceiling: a bare undici loop POSTing event-shaped, signed bodies to the receiver (before and after 2).
//   2. end-to-end: complete N pre-created custom operations through the API; time until the receiver has
//      all N deliveries. Also times the completes alone. Every peer (Tidings, the relay, the floor, BullMQ) first
//      does the same with BENCH_WARMUP_EVENTS (default 30,000) operations, reported on a row of its own: a process's
//      first tens of thousands of events pay for V8 compiling its code on helper threads, which a server that runs
//      for months pays once (bench/README.md: warm-up). With BENCH_ROUNDS > 1, every peer is measured once in each
//      round, taking turns, and each ratio is the median of the rounds' own (bench/README.md: rounds).
//   2b. calibration: the same against bench/relay.mjs (no database, no framework), plus a short paced run.
//   2c. the durable floor: the same against bench/floor/server.mjs (node:http, better-sqlite3; one row per event,
//       commit before reply, batched outcomes). Tidings and the floor also count the bytes they write to storage.
//   2d. comparison: the same against a Fastify + BullMQ dispatcher on a Redis with AOF (bench/peers/bullmq/).
//   3. latency: complete one operation every 1000/BENCH_RATE ms for BENCH_SECONDS, BENCH_PACED_RUNS times;
//      completion -> receipt.
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { countEnv, intEnv, IpcChild, now, processIo, sleep } from "./lib.mjs";
import {
  ApiClient,
  BENCH_DIR,
  CLI,
  clockOffset,
  completeAll,
  completeAllRates,
  cpuDelta,
  cpuSnapshot,
  createOperations,
  engineOptions,
  fmt,
  forkChild,
  logger,
  NOISY_CORES,
  otherCores,
  othersLabel,
  pacedCompletes,
  RESULTS_DIR,
  ROOT,
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
import { startBullmqPeer } from "./peers/bullmq/start.mjs";

const N = Math.round(intEnv("BENCH_EVENTS", 5000));
// V8 still finished optimizing 40 functions during 5,000 events measured after a warm-up of 5,000; after 30,000, 17.
const WARMUP = countEnv("BENCH_WARMUP_EVENTS", 30_000);
// A server that idled while the others took their turn compiled 136–166 functions again in its next round.
const REWARM = countEnv("BENCH_REWARM_EVENTS", 5000);
const PACED_SECONDS = intEnv("BENCH_SECONDS", 10);
const RATE = intEnv("BENCH_RATE", 200);
const API_CONCURRENCY = Math.round(intEnv("BENCH_API_CONCURRENCY", 32));
const CEILING_SECONDS = intEnv("BENCH_CEILING_SECONDS", 2);
const VERIFY_EVERY = Math.round(intEnv("BENCH_VERIFY_EVERY", 100));
const SPIN_MS = Number(process.env.BENCH_SPIN_MS ?? 0.5);
const PROFILE = process.env.BENCH_PROFILE === "1";
const PROBE = process.env.BENCH_PROBE === "1";
const RELAY = process.env.BENCH_RELAY !== "0";
const BULLMQ = process.env.BENCH_BULLMQ !== "0";
const FLOOR = process.env.BENCH_FLOOR !== "0";
const FLOOR_INDEXES = Number(process.env.BENCH_FLOOR_INDEXES ?? 4);
const PACED_RUNS = Math.round(intEnv("BENCH_PACED_RUNS", 3));
/** End-to-end rounds: every peer measured once per round, taking turns; the rows are the rounds' medians. */
const ROUNDS = Math.max(1, Math.round(intEnv("BENCH_ROUNDS", 1)));
const RELAY_PACED_SECONDS = Math.min(3, PACED_SECONDS);

/** Issue 11's targets for this script's rows (bench/all.mjs prints them all in one table). */
const TARGETS = {
  relayShare: 0.75,
  bullmqRatio: 1.5,
  floorCpuRatio: 1.3,
  writtenBytesPerEvent: 12_000,
  p50Ms: 5,
  p99Ms: 25,
  sentP99Ms: 25,
};

// ---------------------------------------------------------------------------------------------- processes
const PROFILE_DIR = join(RESULTS_DIR, "profiles");
/** The server's extras: a CPU profile (BENCH_PROFILE=1) and bench/server-probe.mjs over IPC (BENCH_PROBE=1). */
const SERVER_OPTIONS = {
  nodeArgs: [
    ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
    ...(PROBE ? ["--import", pathToFileURL(join(BENCH_DIR, "server-probe.mjs")).href] : []),
  ],
  ipc: PROBE,
};

/** A peer's CPU profile (BENCH_PROFILE=1), written when it exits: `stopPeer` lets it exit rather than kill it. */
const peerNodeArgs = (name) =>
  PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
/** The relay and the floor exit when their IPC channel closes (writing their profile); a signal would not let them. */
const stopPeer = (proc) => (PROFILE ? proc.disconnect() : proc.kill("SIGTERM"));

async function startRelay(receiver, secret, concurrency) {
  const proc = forkChild("relay.mjs", [receiver.url, secret, String(concurrency)], peerNodeArgs("relay"));
  const listening = await new IpcChild(proc).waitEvent("listening", 10_000);
  if (listening === undefined) throw new Error("relay did not start within 10 s");
  return { proc, url: `http://127.0.0.1:${listening.port}` };
}

/** The durable floor (bench/floor/server.mjs) with `indexes` secondary indexes, its database in a temp dir. */
async function startFloor(receiver, secret, concurrency, indexes) {
  const database = join(tempDir("tidings-bench-floor-"), "floor.db");
  const proc = forkChild(
    join("floor", "server.mjs"),
    [receiver.url, secret, String(concurrency), database, String(indexes)],
    peerNodeArgs("floor"),
  );
  const ipc = new IpcChild(proc);
  const listening = await ipc.waitEvent("listening", 10_000);
  if (listening === undefined) throw new Error("the floor did not start within 10 s");
  return { proc, url: `http://127.0.0.1:${listening.port}`, checkpoint: () => ipc.call("checkpoint") };
}

// ---------------------------------------------------------------------------------------------- bytes written
// Tidings checkpoints its WAL every 250 ms in a worker thread of its own process (docs/store.md, the WAL), so
// /proc/PID/io counts those writes too, once they have run.
const QUIET_MS = 1000;
const QUIET_MAX_MS = 10_000;

/** Waits until the process's write_bytes has not moved for QUIET_MS (at most QUIET_MAX_MS); resolves with the wait. */
async function quiet(pid) {
  const start = now();
  let last = processIo(pid)?.writeBytes;
  let since = now();
  while (now() - since < QUIET_MS && now() - start < QUIET_MAX_MS) {
    await sleep(50);
    const current = processIo(pid)?.writeBytes;
    if (current !== last) {
      last = current;
      since = now();
    }
  }
  return Math.round(now() - start);
}

/**
 * Runs `phase` (a completeAll() phase) and counts what the server process wrote from before it until its writes
 * have settled after it: write_bytes (bytes sent to storage) and wchar, per event. Before and after, the server's
 * writes must have been still for QUIET_MS (so that its checkpoints of the creates fall before, and those of the
 * phase inside); `checkpoint` (the floor, whose SQLite checkpoints on its own only every 1,000 pages) then runs a
 * TRUNCATE checkpoint, so that every page the phase owes the database file is counted.
 */
async function withWrites(pid, events, phase, checkpoint) {
  const quietBeforeMs = await quiet(pid);
  if (checkpoint) await checkpoint();
  const before = processIo(pid);
  const result = await phase();
  const quietAfterMs = await quiet(pid);
  if (checkpoint) await checkpoint();
  const after = processIo(pid);
  if (before === undefined || after === undefined) return result;
  const writeBytes = after.writeBytes - before.writeBytes;
  const wchar = after.wchar - before.wchar;
  // Where write_bytes is not kept (0), wchar stands in: it also counts the sockets' bytes, so it reads higher.
  const source = writeBytes > 0 ? "write_bytes" : "wchar";
  result.writes = {
    source,
    perEvent: Math.round((source === "write_bytes" ? writeBytes : wchar) / events),
    writeBytes,
    wchar,
    quietBeforeMs,
    quietAfterMs,
    checkpointed: checkpoint !== undefined,
  };
  return result;
}

// ---------------------------------------------------------------------------------------------- CPU accounting
// This report (and latest.json) keeps the server's CPU as one figure: no per-thread split.
const snapshot = (server, receiver) => cpuSnapshot(server, receiver, { threads: false });

// ---------------------------------------------------------------------------------------------- phase markers
// Monotonic microseconds (CLOCK_MONOTONIC, the clock V8's CPU profiles use), so that
// bench/profile-summary.mjs can cut a server profile down to one phase.
const phases = {};
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
async function inPhase(name, server, fn) {
  if (server?.child) await server.child.call("probe-reset");
  const startUs = monoUs();
  const result = await fn();
  // How many events (or created operations) the phase handled, for the probe's per-event figures.
  const events = Array.isArray(result) ? result.length : result?.events;
  phases[name] = { startUs, endUs: monoUs(), ...(typeof events === "number" ? { events } : {}) };
  if (server?.child) {
    const { type, seq, ...report } = await server.child.call("probe-report");
    phases[name].probe = report;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------- phase 1: ceiling
let ceilingSeq = 0;
function eventRequest(secretKey) {
  const i = ++ceilingSeq;
  const id = `msg_${String(i).padStart(27, "0")}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: "bench.succeeded",
    version: "v1",
    timestamp: new Date().toISOString(),
    data: { id: `operations/${String(i).padStart(36, "0")}`, output_file_uri: "files/x" },
  });
  // Signed the way the server signs (HMAC-SHA256 over id.timestamp.body), so the receiver's sample verifies.
  const signature = `v1,${createHmac("sha256", secretKey).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "Tidings/bench",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature,
    },
  };
}

async function ceiling(server, receiver, pool, secretKey, label, concurrency, seconds) {
  await receiver.child.call("reset", { phase: label, verifyEvery: VERIFY_EVERY });
  const cpu0 = snapshot(server, receiver);
  let done = 0;
  let errors = 0;
  const start = now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (now() < deadline) {
      const { body, headers } = eventRequest(secretKey);
      // Same call shape as the server's HttpSender: POST, read the (empty) body to the end.
      const res = await pool.request({ method: "POST", path: "/hook", headers, body });
      for await (const _ of res.body) {
        /* drain */
      }
      if (res.statusCode === 200) done++;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = now() - start;
  const cpu = cpuDelta(cpu0, snapshot(server, receiver));
  const stats = await receiver.child.call("stats");
  return {
    label,
    cpu,
    concurrency,
    requests: done,
    errors,
    seconds: Math.round(elapsed) / 1000,
    perSecond: Math.round((done / elapsed) * 1000),
    receiverCounted: stats.requests,
    verified: stats.verified,
    verifyFailures: stats.verifyFailureCount,
  };
}

// ---------------------------------------------------------------------------------------------- phase 2: end to end
/** The same end-to-end run on WARMUP operations of their own, before a peer is measured: its CPU per event. */
async function warmUp(server, receiver, client) {
  if (WARMUP === 0) return undefined;
  const result = await endToEnd(server, receiver, await createOperations(client, WARMUP, API_CONCURRENCY), client);
  return { events: result.events, deliveriesPerSecond: result.deliveriesPerSecond, cpu: result.cpu };
}

async function endToEnd(server, receiver, ids, client) {
  const count = ids.length;
  const { reached, cpu, ...times } = await completeAll(server, receiver, client, ids, {
    phase: "e2e",
    concurrency: API_CONCURRENCY,
    verifyEvery: VERIFY_EVERY,
  });
  const stats = reached ?? (await receiver.child.call("stats"));
  const { start, apiDone } = times;
  const rates = completeAllRates(count, times);
  return {
    events: count,
    apiConcurrency: API_CONCURRENCY,
    completesSeconds: Math.round(apiDone - start) / 1000,
    completesPerSecond: rates.completesPerSecond,
    firstReceiptMs: stats.firstAt ? Math.round((stats.firstAt - start) * 10) / 10 : undefined,
    lastReceiptAfterLastCompleteMs: rates.lastReceiptAfterLastCompleteMs,
    seconds: rates.seconds,
    deliveriesPerSecond: rates.deliveriesPerSecond,
    received: stats.requests,
    unique: stats.unique,
    duplicates: stats.duplicates,
    verified: stats.verified,
    verifyFailures: stats.verifyFailureCount,
    verifyFailureSamples: stats.verifyFailures,
    timedOut: reached === undefined,
    cpu,
  };
}

/** A phase's server CPU per event in µs (undefined where /proc is not there to read). */
const cpuPerEventUs = (phase) =>
  phase?.cpu.serverCpuSeconds !== undefined ? Math.round((phase.cpu.serverCpuSeconds / phase.events) * 1e6) : undefined;

/** The middle of a sorted list; of an even count, the lower middle. */
const middle = (sorted) => sorted[Math.floor((sorted.length - 1) / 2)];
const median = (values) => middle([...values].sort((a, b) => a - b));
/** The round whose CPU per event is the median of a peer's rounds: the one its rows show. */
const medianRound = (rounds) => middle([...rounds].sort((a, b) => (cpuPerEventUs(a) ?? 0) - (cpuPerEventUs(b) ?? 0)));

const roundSummary = (r) => ({
  deliveriesPerSecond: r.deliveriesPerSecond,
  cpuPerEventUs: cpuPerEventUs(r),
  ...(r.writes ? { writtenBytesPerEvent: r.writes.perEvent } : {}),
});

/**
 * One round of a peer: N operations created (not timed); after the first round, REWARM others completed end to end,
 * not reported, so that the peer is busy again after waiting for the others (bench/README.md: rounds); then the N
 * completed end to end. The first round's phases keep their names (`endToEnd`, `relayEndToEnd`, …: profiles and the
 * probe are cut by them); later ones add the round.
 */
async function measureRound(peer, round, receiver) {
  const create = (count) => createOperations(peer.api, count, API_CONCURRENCY);
  const server = peer.name === "tidings" ? peer.target : undefined;
  const ids = server && round === 0 ? await inPhase("create", server, () => create(N)) : await create(N);
  if (round > 0 && REWARM > 0) await endToEnd(peer.target, receiver, await create(REWARM), peer.api);
  await sleep(200);
  const phase = round === 0 ? peer.phase : `${peer.phase}${round + 1}`;
  const run = () => inPhase(phase, server, () => endToEnd(peer.target, receiver, ids, peer.api));
  return peer.writes ? withWrites(peer.writes.pid, N, run, peer.writes.checkpoint) : run();
}

// ---------------------------------------------------------------------------------------------- phase 3: paced latency
const paced = (server, receiver, rate, seconds, ids, client) =>
  pacedCompletes(server, receiver, client, ids, { rate, seconds, verifyEvery: VERIFY_EVERY, spinMs: SPIN_MS });

// ---------------------------------------------------------------------------------------------- report
const verdict = (ok) => (ok === undefined ? "" : ok ? "PASS" : "MISS");

function printReport(r) {
  const lines = [];
  const row = (label, value, target = "", ok) =>
    lines.push(`  ${label.padEnd(44)} ${String(value).padStart(22)}   ${target.padEnd(16)} ${verdict(ok)}`);
  const lat = (s) => `${fmt(s.p50, 2)} / ${fmt(s.p90, 2)} / ${fmt(s.p99, 2)} / ${fmt(s.max, 2)}`;
  lines.push("");
  lines.push(
    `Tidings delivery benchmark — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(`  ${"".padEnd(44)} ${"value".padStart(22)}   ${"target".padEnd(16)}`);
  lines.push(" ceiling: bare undici → receiver (event-shaped signed POSTs)");
  for (const c of r.ceiling)
    row(`${c.label} (${c.concurrency} in flight, ${c.seconds}s)`, `${fmt(c.perSecond)} req/s`, othersLabel(c.cpu));
  row("ceiling used for the ratio (best of before/after)", `${fmt(r.ceilingPerSecond)} req/s`);
  const e = r.endToEnd;
  lines.push(
    ` end to end: complete ${fmt(e.events)} operations (${e.apiConcurrency} in flight) → all received${r.rounds > 1 ? `; ${r.rounds} rounds, each peer's median shown, ratios the median of the rounds' ratios` : ""}`,
  );
  // Every round of a peer: its CPU per event and rate, in the order they ran.
  const roundsRow = (who, rounds) => {
    if (rounds.length > 1)
      row(
        `${who}rounds: CPU per event; deliveries/s`,
        `${rounds.map((x) => fmt(x.cpuPerEventUs)).join(" / ")} µs`,
        `${rounds.map((x) => fmt(x.deliveriesPerSecond)).join(" / ")}`,
      );
  };
  row("deliveries/s", `${fmt(e.deliveriesPerSecond)} /s`);
  roundsRow("", r.tidingsRounds);
  row("ratio to ceiling", `${fmt(r.ratio, 2)} ×`);
  row("completes alone (API throughput)", `${fmt(e.completesPerSecond)} /s`);
  row("first receipt after start", `${fmt(e.firstReceiptMs, 1)} ms`);
  row("last receipt after last complete replied", `${fmt(e.lastReceiptAfterLastCompleteMs, 1)} ms`);
  row("received / unique / duplicates", `${e.received} / ${e.unique} / ${e.duplicates}`);
  if (e.timedOut) row("TIMED OUT waiting for all deliveries", "");
  const perEvent = (s) => (s === undefined ? "n/a" : `${fmt((s / e.events) * 1e6)} µs`);
  row(
    "CPU per event: server / receiver / bench",
    `${perEvent(e.cpu.serverCpuSeconds)} / ${perEvent(e.cpu.receiverCpuSeconds)} / ${perEvent(e.cpu.benchCpuSeconds)}`,
    othersLabel(e.cpu),
  );
  row("server CPU use during the phase", `${fmt((e.cpu.serverCpuSeconds / e.cpu.wallSeconds) * 100)}% of a core`);
  if (e.cpu.serverMainThreadCpuSeconds !== undefined)
    // The sending thread is usually the first of the others; V8's helpers (compiling, collecting) and the WAL
    // checkpoint thread follow (bench/README.md: warm-up).
    row(
      "server CPU per event by thread: main; others",
      `${perEvent(e.cpu.serverMainThreadCpuSeconds)}; ${e.cpu.serverEachOtherThreadCpuSeconds.map((s) => fmt((s / e.events) * 1e6)).join(" + ")} µs`,
    );
  // The warm-up before a peer's measured run: its first events, while V8 still compiles its code.
  const warmUpRow = (who, w) => {
    if (w?.cpu.serverCpuSeconds === undefined) return;
    row(
      `${who}warm-up before it (${fmt(w.events)} events): CPU per event`,
      `${fmt((w.cpu.serverCpuSeconds / w.events) * 1e6)} µs`,
      `${fmt(w.deliveriesPerSecond)}/s`,
    );
  };
  warmUpRow("", r.warmUp);
  if (e.writes)
    row(
      `bytes written per event (${e.writes.source})`,
      `${fmt(e.writes.perEvent)} B`,
      `≤ ${fmt(TARGETS.writtenBytesPerEvent)} B`,
      r.checks.writes,
    );
  if (r.relay) {
    const re = r.relay.endToEnd;
    lines.push(
      " calibration: bench/relay.mjs (same calls, answers at once, POSTs signed events; no database, no framework)",
    );
    row("relay deliveries/s", `${fmt(re.deliveriesPerSecond)} /s`, `${fmt(r.relayRatio, 2)} × ceiling`);
    row(
      "Tidings end to end ÷ the relay",
      `${fmt(r.relayShare, 2)} ×`,
      `≥ ${TARGETS.relayShare} ×`,
      r.checks.relayShare,
    );
    row("relay CPU per event", `${fmt((re.cpu.serverCpuSeconds / re.events) * 1e6)} µs`, othersLabel(re.cpu));
    warmUpRow("relay ", r.relay.warmUp);
    roundsRow("relay ", r.relay.rounds);
    row("Tidings CPU per event ÷ the relay's", `${fmt(r.relayCpuRatio, 2)} ×`);
    row(
      `relay paced ${r.relay.paced.seconds}s: replied → receipt`,
      lat(r.relay.paced.completionRepliedToReceiptMs),
      othersLabel(r.relay.paced.cpu),
    );
  }
  if (r.floor) {
    const fe = r.floor.endToEnd;
    lines.push(
      ` the durable floor: bench/floor (node:http, better-sqlite3 WAL, one row per event, commit before reply; ${r.floor.indexes} secondary indexes)`,
    );
    row("floor deliveries/s", `${fmt(fe.deliveriesPerSecond)} /s`, `completes ${fmt(fe.completesPerSecond)}/s`);
    row("Tidings end to end ÷ the floor", `${fmt(r.floorShare, 2)} ×`);
    row("floor CPU per event", `${fmt(r.cpuPerEventUs.floor)} µs`, othersLabel(fe.cpu));
    warmUpRow("floor ", r.floor.warmUp);
    roundsRow("floor ", r.floor.rounds);
    row(
      "Tidings CPU per event ÷ the floor's",
      `${fmt(r.floorCpuRatio, 2)} ×`,
      `≤ ${TARGETS.floorCpuRatio} ×`,
      r.checks.floorCpu,
    );
    if (fe.writes) row(`floor bytes written per event (${fe.writes.source})`, `${fmt(fe.writes.perEvent)} B`);
    if (fe.timedOut) row("floor TIMED OUT waiting for all deliveries", `${fe.unique} of ${fe.events}`);
  }
  if (r.bullmq) {
    const be = r.bullmq.endToEnd;
    lines.push(
      " comparison: bench/peers/bullmq (Fastify enqueues a BullMQ job; a worker POSTs it; Redis with AOF everysec)",
    );
    row("bullmq deliveries/s", `${fmt(be.deliveriesPerSecond)} /s`, `completes ${fmt(be.completesPerSecond)}/s`);
    row("Tidings end to end ÷ bullmq", `${fmt(r.bullmqRatio, 2)} ×`, `≥ ${TARGETS.bullmqRatio} ×`, r.checks.bullmq);
    row("bullmq CPU per event (app + redis)", `${fmt(r.cpuPerEventUs.bullmq)} µs`, othersLabel(be.cpu));
    warmUpRow("bullmq ", r.bullmq.warmUp);
    roundsRow("bullmq ", r.bullmq.rounds);
    if (be.timedOut) row("bullmq TIMED OUT waiting for all deliveries", `${be.unique} of ${be.events}`);
  }
  if (r.pacedRuns.length > 1) {
    lines.push(
      ` latency runs (ms, p50 / p99): ${r.pacedRuns.map((x, i) => `#${i + 1} replied→receipt ${fmt(x.completionRepliedToReceiptMs.p50, 2)}/${fmt(x.completionRepliedToReceiptMs.p99, 2)}, sent→receipt ${fmt(x.completionSentToReceiptMs.p50, 2)}/${fmt(x.completionSentToReceiptMs.p99, 2)}`).join(" · ")}`,
    );
  }
  const p = r.paced;
  lines.push(
    ` latency: one complete every ${fmt(1000 / p.rate, 1)} ms for ${p.seconds}s (${fmt(p.events)} events, achieved ${fmt(p.achievedRate, 1)}/s)${r.pacedRuns.length > 1 ? `, the worst of ${r.pacedRuns.length} runs` : ""}`,
  );
  lines.push(`  ${"(ms)".padEnd(44)} ${"p50 / p90 / p99 / max".padStart(22)}`);
  row(
    "complete replied (200) → receipt",
    lat(p.completionRepliedToReceiptMs),
    `p50≤${TARGETS.p50Ms} p99≤${TARGETS.p99Ms}`,
    r.checks.latency,
  );
  row("complete sent → receipt", lat(p.completionSentToReceiptMs), `p99≤${TARGETS.sentP99Ms}`, r.checks.sentLatency);
  row("complete API round trip", lat(p.apiRoundTripMs));
  row("scheduler lag (send − target)", lat(p.schedulerLagMs));
  row("receipts before the API reply / missing", `${p.receivedBeforeApiReply} / ${p.missing}`);
  if (r.pacedWorst.apiFailures > 0) row("completes the API refused, all paced runs", r.pacedWorst.apiFailures);
  for (const failure of r.pacedRuns.flatMap((run) => run.apiFailureSamples)) row("  refused", failure.slice(0, 60));
  const cpuPct = (s) => (s === undefined ? "n/a" : `${fmt((s / p.cpu.wallSeconds) * 100)}%`);
  row(
    "CPU: server / receiver / bench",
    `${cpuPct(p.cpu.serverCpuSeconds)} / ${cpuPct(p.cpu.receiverCpuSeconds)} / ${cpuPct(p.cpu.benchCpuSeconds)}`,
    othersLabel(p.cpu),
  );
  row("server CPU per event", `${fmt((p.cpu.serverCpuSeconds / p.events) * 1e6)} µs`);
  lines.push(" checks");
  const sig = r.signatures;
  row(
    "signatures verified (standardwebhooks sample)",
    `${sig.verified} ok, ${sig.failures} bad`,
    "all ok",
    sig.failures === 0 && sig.verified > 0,
  );
  if (r.relay) row("  of which relay traffic", `${sig.relayVerified} ok, ${sig.relayFailures} bad`);
  row("receiver clock offset (IPC min-RTT)", `${fmt(r.clock.offsetMs, 3)} ms ±${fmt(r.clock.rttMs / 2, 3)}`);
  if (r.serverWarnings > 0) row("server log lines at warn or above", r.serverWarnings);
  warnDisturbed(lines, r.disturbedPhases, " (re-run when the machine is quiet)");
  for (const [name, phase] of Object.entries(r.phases)) {
    if (!phase.probe) continue;
    const pr = phase.probe;
    const wallMs = (phase.endUs - phase.startUs) / 1000;
    lines.push(
      ` server probe, ${name} (${fmt(wallMs / 1000, 2)}s wall): SQL ${fmt(pr.sqlTotalMs)} ms (${fmt((pr.sqlTotalMs / wallMs) * 100)}% of wall), GC ${fmt(pr.gc.totalMs)} ms (max ${fmt(pr.gc.maxMs, 1)}), event-loop delay p50/p99/max ${fmt(pr.eventLoopDelayMs.p50, 1)}/${fmt(pr.eventLoopDelayMs.p99, 1)}/${fmt(pr.eventLoopDelayMs.max, 1)} ms`,
    );
    const events = phase.events;
    if (pr.allocations) {
      const bytes = (b) => (events ? `${fmt(b / events)} B/event` : `${fmt(b / 1e6)} MB`);
      lines.push(`    main thread allocated ${bytes(pr.allocations.bytes)} (sampled), largest sites:`);
      for (const { where, bytes: b } of pr.allocations.top.slice(0, 15))
        lines.push(`      ${bytes(b).padStart(16)}  ${where}`);
    }
    for (const st of pr.statements.slice(0, 8)) {
      lines.push(
        `    ${fmt(st.totalMs).padStart(6)} ms ${String(st.count).padStart(6)}× mean ${fmt(st.meanMs, 3)} max ${fmt(st.maxMs, 1).padStart(5)} >5ms ${String(st.over5ms).padStart(3)}  ${st.key.slice(0, 72)}`,
      );
    }
  }
  lines.push("");
  console.log(lines.join("\n"));
}

// ---------------------------------------------------------------------------------------------- main
async function main() {
  if (!existsSync(CLI))
    throw new Error(
      `${relative(process.cwd(), CLI)} is missing: build first (npm run build, or npx tsc -b packages/server)`,
    );
  const { perEndpointConcurrency: serverConcurrency } = await engineOptions();
  const meta = runMeta();
  const config = {
    server: relative(ROOT, CLI),
    events: N,
    warmUpEvents: WARMUP,
    rounds: ROUNDS,
    pacedSeconds: PACED_SECONDS,
    pacedRuns: PACED_RUNS,
    rate: RATE,
    apiConcurrency: API_CONCURRENCY,
    ceilingSeconds: CEILING_SECONDS,
    serverConcurrency,
    verifyEvery: VERIFY_EVERY,
    spinMs: SPIN_MS,
    profile: PROFILE,
    probe: PROBE,
  };
  const t0 = now();
  const log = logger("bench", t0);

  if (PROFILE) mkdirSync(PROFILE_DIR, { recursive: true });
  const { receiver, server } = await startProcesses(log, "tidings-bench-", {}, SERVER_OPTIONS, { logDataDir: true });
  const api = new ApiClient(server.url, API_CONCURRENCY);
  const ceilingPool = new Pool(receiver.url, { connections: 64, keepAliveTimeout: 30_000 });
  await withServerOutput(server, async () => {
    const webhook = await api.call("POST", "/v1/webhooks", { uri: `${receiver.url}/hook`, subscribed_events: ["*"] });
    const secret = webhook.new_signing_secret;
    const secretKey = Buffer.from(secret.slice("whsec_".length), "base64");
    await receiver.child.call("reset", { phase: "setup", secret, verifyEvery: VERIFY_EVERY });
    const clock = await clockOffset(receiver);

    log(`ceiling: warm-up, then ${CEILING_SECONDS}s at ${serverConcurrency} in flight`);
    await ceiling(server, receiver, ceilingPool, secretKey, "warm-up", serverConcurrency, 0.5);
    const ceilings = [
      await ceiling(server, receiver, ceilingPool, secretKey, "before", serverConcurrency, CEILING_SECONDS),
    ];
    if (serverConcurrency !== 64)
      ceilings.push(await ceiling(server, receiver, ceilingPool, secretKey, "at 64", 64, CEILING_SECONDS));

    // Every peer is up before the first round, so that rounds can take turns (an idle peer uses no CPU).
    const peers = [{ name: "tidings", target: server, api, phase: "endToEnd", writes: { pid: server.proc.pid } }];
    try {
      if (RELAY) {
        const relayProc = await startRelay(receiver, secret, serverConcurrency);
        peers.push({
          name: "relay",
          target: relayProc,
          api: new ApiClient(relayProc.url, API_CONCURRENCY),
          phase: "relayEndToEnd",
          stop: () => stopPeer(relayProc.proc),
        });
      }
      if (FLOOR) {
        const floorProc = await startFloor(receiver, secret, serverConcurrency, FLOOR_INDEXES);
        peers.push({
          name: "floor",
          target: floorProc,
          api: new ApiClient(floorProc.url, API_CONCURRENCY),
          phase: "floorEndToEnd",
          writes: { pid: floorProc.proc.pid, checkpoint: floorProc.checkpoint },
          stop: () => stopPeer(floorProc.proc),
        });
      }
      if (BULLMQ) {
        const peer = await startBullmqPeer(receiver.url, secret, serverConcurrency);
        peers.push({
          name: "bullmq",
          target: peer,
          api: new ApiClient(peer.url, API_CONCURRENCY),
          phase: "bullmqEndToEnd",
          stop: () => peer.stop(),
          redisAppendOnly: peer.redis.appendOnlyDir,
        });
      }
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with another peer: none is always measured first, or right after a given other.
        const first = round % peers.length;
        for (const peer of [...peers.slice(first), ...peers.slice(0, first)]) {
          // Right before its first measured run: a process left idle while the others warm up would lose much of
          // its compiled code (bench/README.md: rounds).
          if (round === 0) {
            log(`${peer.name}: warm-up with ${WARMUP} operations`);
            peer.warmUp = await warmUp(peer.target, receiver, peer.api);
            peer.rounds = [];
          }
          peer.rounds.push(await measureRound(peer, round, receiver));
        }
        log(
          `end to end, round ${round + 1}/${ROUNDS} (${N} events each): ${peers.map((p) => `${p.name} ${fmt(p.rounds[round].deliveriesPerSecond)}/s, ${fmt(cpuPerEventUs(p.rounds[round]))} µs`).join(" · ")}`,
        );
      }
      const relayPeer = peers.find((p) => p.name === "relay");
      if (relayPeer) {
        log(`relay: paced for ${RELAY_PACED_SECONDS}s`);
        const pacedIds = await createOperations(relayPeer.api, Math.round(RATE * RELAY_PACED_SECONDS), API_CONCURRENCY);
        relayPeer.paced = await paced(relayPeer.target, receiver, RATE, RELAY_PACED_SECONDS, pacedIds, relayPeer.api);
      }
    } finally {
      for (const peer of peers.slice(1)) {
        await peer.api.close();
        await peer.stop();
      }
    }
    const byName = Object.fromEntries(peers.map((p) => [p.name, p]));
    const summary = (peer) =>
      peer && { warmUp: peer.warmUp, endToEnd: medianRound(peer.rounds), rounds: peer.rounds.map(roundSummary) };
    const e2eWarmUp = byName.tidings.warmUp;
    const e2e = medianRound(byName.tidings.rounds);
    // A round that timed out fails the rows that compare rates, whichever round the report shows.
    const timedOut = byName.tidings.rounds.some((r) => r.timedOut);
    const relay = byName.relay && { ...summary(byName.relay), paced: byName.relay.paced };
    const floor = byName.floor && { indexes: FLOOR_INDEXES, ...summary(byName.floor) };
    const bullmq = byName.bullmq && { ...summary(byName.bullmq), redisAppendOnly: byName.bullmq.redisAppendOnly };
    log("ceiling again");
    ceilings.push(await ceiling(server, receiver, ceilingPool, secretKey, "after", serverConcurrency, CEILING_SECONDS));

    const pacedRuns = [];
    for (let run = 1; run <= PACED_RUNS; run++) {
      log(`paced ${run}/${PACED_RUNS}: ${RATE}/s for ${PACED_SECONDS}s`);
      const pacedIds = await createOperations(api, Math.round(RATE * PACED_SECONDS), API_CONCURRENCY); // not timed
      await sleep(200);
      pacedRuns.push(
        await inPhase(PACED_RUNS === 1 ? "paced" : `paced${run}`, server, () =>
          paced(server, receiver, RATE, PACED_SECONDS, pacedIds, api),
        ),
      );
    }
    // The report's headline run is the worst one (highest complete sent → receipt p99): the target is on the worst.
    const pacedResult = pacedRuns.reduce((worst, p) =>
      p.completionSentToReceiptMs.p99 > worst.completionSentToReceiptMs.p99 ? p : worst,
    );
    const pacedWorst = {
      sentToReceiptP99Ms: pacedResult.completionSentToReceiptMs.p99,
      repliedToReceiptP50Ms: Math.max(...pacedRuns.map((p) => p.completionRepliedToReceiptMs.p50)),
      repliedToReceiptP99Ms: Math.max(...pacedRuns.map((p) => p.completionRepliedToReceiptMs.p99)),
      missing: pacedRuns.reduce((a, p) => a + p.missing, 0),
      // A complete the API refused has no receipt to miss and no latency: without this, a 503 passed unseen.
      apiFailures: pacedRuns.reduce((a, p) => a + p.apiFailures, 0),
    };

    const atServerConcurrency = ceilings.filter((c) => c.label === "before" || c.label === "after");
    // The best of before/after: noise from other processes only ever lowers a ceiling.
    const ceilingPerSecond = Math.max(...atServerConcurrency.map((c) => c.perSecond));
    const ratio = e2e.deliveriesPerSecond !== undefined ? e2e.deliveriesPerSecond / ceilingPerSecond : undefined;
    const ofRounds = (peer, key) => (peer ? peer.rounds.reduce((a, r) => a + r[key], 0) : 0);
    const signatures = {
      verified:
        ofRounds(byName.tidings, "verified") +
        pacedRuns.reduce((a, p) => a + p.verified, 0) +
        ceilings.reduce((a, c) => a + c.verified, 0) +
        ofRounds(byName.floor, "verified") +
        ofRounds(byName.bullmq, "verified"),
      failures:
        ofRounds(byName.tidings, "verifyFailures") +
        pacedRuns.reduce((a, p) => a + p.verifyFailures, 0) +
        ceilings.reduce((a, c) => a + c.verifyFailures, 0) +
        ofRounds(byName.floor, "verifyFailures") +
        ofRounds(byName.bullmq, "verifyFailures"),
      relayVerified: relay ? ofRounds(byName.relay, "verified") + relay.paced.verified : 0,
      relayFailures: relay ? ofRounds(byName.relay, "verifyFailures") + relay.paced.verifyFailures : 0,
    };
    signatures.verified += signatures.relayVerified;
    signatures.failures += signatures.relayFailures;
    // Each ratio is the median of the rounds' own ratios: peers measured seconds apart, as the machine's speed drifts.
    const perRound = (peer, of) => {
      if (peer === undefined) return undefined;
      const ratios = byName.tidings.rounds
        .map((t, i) => of(t, peer.rounds[i]))
        .filter((x) => x !== undefined && Number.isFinite(x));
      return ratios.length > 0 ? Math.round(median(ratios) * 1000) / 1000 : undefined;
    };
    const share = (a, b) =>
      a.deliveriesPerSecond && b.deliveriesPerSecond ? a.deliveriesPerSecond / b.deliveriesPerSecond : undefined;
    const cpuShare = (a, b) => {
      const [x, y] = [cpuPerEventUs(a), cpuPerEventUs(b)];
      return x !== undefined && y ? x / y : undefined;
    };
    const relayShare = perRound(byName.relay, share);
    const bullmqRatio = perRound(byName.bullmq, share);
    const floorShare = perRound(byName.floor, share);
    const cpuPerEvent = {
      tidings: cpuPerEventUs(e2e),
      relay: cpuPerEventUs(relay?.endToEnd),
      floor: cpuPerEventUs(floor?.endToEnd),
      bullmq: cpuPerEventUs(bullmq?.endToEnd),
    };
    const relayCpuRatio = perRound(byName.relay, cpuShare);
    const floorCpuRatio = perRound(byName.floor, cpuShare);
    const results = {
      meta,
      config,
      ceiling: ceilings,
      ceilingPerSecond,
      warmUp: e2eWarmUp,
      endToEnd: e2e,
      ratio: ratio !== undefined ? Math.round(ratio * 1000) / 1000 : undefined,
      paced: pacedResult,
      pacedRuns,
      pacedWorst,
      relay,
      floor,
      bullmq,
      relayShare,
      floorShare,
      floorCpuRatio,
      relayCpuRatio,
      bullmqRatio,
      rounds: ROUNDS,
      tidingsRounds: byName.tidings.rounds.map(roundSummary),
      cpuPerEventUs: cpuPerEvent,
      relayRatio: relay?.endToEnd.deliveriesPerSecond
        ? Math.round((relay.endToEnd.deliveriesPerSecond / ceilingPerSecond) * 1000) / 1000
        : undefined,
      signatures,
      disturbedPhases: [
        ...ceilings.filter((c) => otherCores(c.cpu) > NOISY_CORES).map((c) => `ceiling ${c.label}`),
        ...peers.flatMap((p) =>
          p.rounds.flatMap((r, i) => (otherCores(r.cpu) > NOISY_CORES ? [`${p.name} end to end, round ${i + 1}`] : [])),
        ),
        ...(relay && otherCores(relay.paced.cpu) > NOISY_CORES ? ["relay paced"] : []),
        ...pacedRuns.flatMap((p, i) => (otherCores(p.cpu) > NOISY_CORES ? [`paced ${i + 1}`] : [])),
      ],
      clock,
      serverWarnings: server.logLines.length,
      serverWarningSamples: server.logLines.slice(0, 5),
      phases,
      targets: TARGETS,
      checks: {
        relayShare: relayShare === undefined ? undefined : relayShare >= TARGETS.relayShare && !timedOut,
        bullmq: bullmqRatio === undefined ? undefined : bullmqRatio >= TARGETS.bullmqRatio && !timedOut,
        floorCpu: floorCpuRatio === undefined ? undefined : floorCpuRatio <= TARGETS.floorCpuRatio && !timedOut,
        writes: e2e.writes === undefined ? undefined : e2e.writes.perEvent <= TARGETS.writtenBytesPerEvent,
        sentLatency:
          pacedWorst.sentToReceiptP99Ms <= TARGETS.sentP99Ms &&
          pacedWorst.missing === 0 &&
          pacedWorst.apiFailures === 0,
        latency:
          pacedWorst.repliedToReceiptP50Ms <= TARGETS.p50Ms &&
          pacedWorst.repliedToReceiptP99Ms <= TARGETS.p99Ms &&
          pacedWorst.missing === 0 &&
          pacedWorst.apiFailures === 0,
      },
      totalSeconds: 0,
    };
    await api.close();
    await ceilingPool.close();
    await stopServer(server);
    if (PROFILE) {
      const profiles = readdirSync(PROFILE_DIR).filter((f) => f.endsWith(".cpuprofile"));
      results.profiles = profiles.map((f) => join(relative(ROOT, PROFILE_DIR), f));
      log(`server CPU profile(s): ${results.profiles.join(", ")} (summarize: node bench/profile-summary.mjs FILE)`);
    }
    await stopReceiver(receiver);
    saveResults("latest.json", results, t0, printReport);
  });
}

runMain(main);
