// Tidings delivery benchmark. See bench/README.md.
//
//   npm run bench                      (builds, then runs this)
//   BENCH_EVENTS=5000 BENCH_SECONDS=10 node bench/run.mjs
//   BENCH_PROFILE=1 node bench/run.mjs (also writes a CPU profile of the server to bench/results/profiles/)
//
// Phases, in one run, against one server process and one receiver process:
//   1. ceiling: a bare undici loop POSTing event-shaped, signed bodies to the receiver (before and after 2).
//   2. end-to-end: complete N pre-created custom operations through the API; time until the receiver has
//      all N deliveries. Also times the completes alone.
//   2b. calibration: the same against bench/relay.mjs (no database, no framework), plus a short paced run.
//   3. latency: complete one operation every 1000/BENCH_RATE ms for BENCH_SECONDS; completion -> receipt.
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { intEnv, IpcChild, now, sleep, summarize } from "./lib.mjs";
import {
  ApiClient, BENCH_DIR, CLI, completeAll, completeAllRates, completeOperation, cpuDelta, cpuSnapshot, createOperations, fmt, forkChild, logger, NOISY_CORES,
  otherCores, othersLabel, RESULTS_DIR, ROOT, runMain, runMeta, saveResults, startProcesses, stopReceiver, stopServer, warnDisturbed, withServerOutput,
} from "./harness.mjs";

const N = Math.round(intEnv("BENCH_EVENTS", 5000));
const PACED_SECONDS = intEnv("BENCH_SECONDS", 10);
const RATE = intEnv("BENCH_RATE", 200);
const API_CONCURRENCY = Math.round(intEnv("BENCH_API_CONCURRENCY", 32));
const CEILING_SECONDS = intEnv("BENCH_CEILING_SECONDS", 2);
const VERIFY_EVERY = Math.round(intEnv("BENCH_VERIFY_EVERY", 100));
const SPIN_MS = Number(process.env.BENCH_SPIN_MS ?? 0.5);
const PROFILE = process.env.BENCH_PROFILE === "1";
const PROBE = process.env.BENCH_PROBE === "1";
const RELAY = process.env.BENCH_RELAY !== "0";
const RELAY_PACED_SECONDS = Math.min(3, PACED_SECONDS);

const TARGETS = { ratio: 0.5, p50Ms: 5, p99Ms: 25 };

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

async function startRelay(receiver, secret, concurrency) {
  const proc = forkChild("relay.mjs", [receiver.url, secret, String(concurrency)]);
  const listening = await new IpcChild(proc).waitEvent("listening", 10_000);
  if (listening === undefined) throw new Error("relay did not start within 10 s");
  return { proc, url: `http://127.0.0.1:${listening.port}` };
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
  phases[name] = { startUs, endUs: monoUs() };
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
async function endToEnd(server, receiver, ids, client) {
  const count = ids.length;
  const { reached, cpu, ...times } = await completeAll(server, receiver, client, ids, { phase: "e2e", concurrency: API_CONCURRENCY, verifyEvery: VERIFY_EVERY, threads: false });
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

// ---------------------------------------------------------------------------------------------- phase 3: paced latency
async function paced(server, receiver, rate, seconds, ids, client) {
  const count = ids.length;
  await receiver.child.call("reset", { phase: "paced", expect: count, record: true, verifyEvery: VERIFY_EVERY });
  receiver.child.clearEvents();
  const interval = 1000 / rate;
  const sentAt = new Float64Array(count);
  const repliedAt = new Float64Array(count);
  const lag = new Float64Array(count);
  const failures = [];
  const inFlight = [];
  const cpu0 = snapshot(server, receiver);
  const start = now() + 20;
  let next = 0;

  const fire = (i) => {
    sentAt[i] = now();
    lag[i] = sentAt[i] - (start + i * interval);
    inFlight.push(
      completeOperation(client, ids[i]).then(
        () => {
          repliedAt[i] = now();
        },
        (err) => {
          repliedAt[i] = NaN;
          failures.push(err.message);
        },
      ),
    );
  };
  // Absolute schedule (no drift): sleep with setTimeout until ~SPIN_MS before the next target, then
  // setImmediate (I/O still runs between turns) until it is due. Late turns send what is due at once.
  // Spinning costs CPU that the server, on a small machine, would miss: 0.5 ms is ~5% of a core at 200/s.
  await new Promise((done) => {
    const tick = () => {
      const t = now();
      while (next < count && start + next * interval <= t) fire(next++);
      if (next >= count) return done();
      const wait = start + next * interval - now();
      if (wait > SPIN_MS) setTimeout(tick, Math.max(0, Math.floor(wait - SPIN_MS)));
      else setImmediate(tick);
    };
    tick();
  });
  await Promise.all(inFlight);
  const scheduleEnd = now();
  const reached = await receiver.child.waitEvent("reached", 15_000);
  const cpu1 = snapshot(server, receiver);
  const stats = reached ?? (await receiver.child.call("stats"));
  const { receipts } = await receiver.child.call("receipts");
  const receiptOf = new Map(receipts);
  const fromReply = [];
  const fromSent = [];
  const apiRtt = [];
  let missing = 0;
  for (let i = 0; i < count; i++) {
    const at = receiptOf.get(`operations/${ids[i]}`);
    if (Number.isNaN(repliedAt[i])) continue;
    apiRtt.push(repliedAt[i] - sentAt[i]);
    if (at === undefined) {
      missing++;
      continue;
    }
    fromReply.push(at - repliedAt[i]);
    fromSent.push(at - sentAt[i]);
  }
  const beforeReply = fromReply.filter((x) => x < 0).length;
  return {
    rate,
    seconds,
    events: count,
    scheduleSeconds: Math.round(scheduleEnd - start) / 1000,
    achievedRate: Math.round((count / (sentAt[count - 1] - sentAt[0])) * 1000 * 10) / 10,
    completionRepliedToReceiptMs: summarize(fromReply),
    completionSentToReceiptMs: summarize(fromSent),
    apiRoundTripMs: summarize(apiRtt),
    schedulerLagMs: summarize(lag),
    receivedBeforeApiReply: beforeReply,
    missing,
    apiFailures: failures.length,
    apiFailureSamples: failures.slice(0, 3),
    duplicates: stats.duplicates,
    verified: stats.verified,
    verifyFailures: stats.verifyFailureCount,
    cpu: cpuDelta(cpu0, cpu1),
  };
}

// Offset of the receiver's clock from ours, from the IPC round trip with the smallest RTT.
async function clockOffset(receiver) {
  let best = { rtt: Infinity, offset: NaN };
  for (let i = 0; i < 30; i++) {
    const t0 = now();
    const { at } = await receiver.child.call("clock");
    const t1 = now();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: at - (t0 + t1) / 2 };
  }
  return { offsetMs: Math.round(best.offset * 1000) / 1000, rttMs: Math.round(best.rtt * 1000) / 1000 };
}

// ---------------------------------------------------------------------------------------------- report
const verdict = (ok) => (ok === undefined ? "" : ok ? "PASS" : "MISS");

function printReport(r) {
  const lines = [];
  const row = (label, value, target = "", ok) => lines.push(`  ${label.padEnd(44)} ${String(value).padStart(22)}   ${target.padEnd(16)} ${verdict(ok)}`);
  const lat = (s) => `${fmt(s.p50, 2)} / ${fmt(s.p90, 2)} / ${fmt(s.p99, 2)} / ${fmt(s.max, 2)}`;
  lines.push("");
  lines.push(`Tidings delivery benchmark — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`);
  lines.push(`  ${"".padEnd(44)} ${"value".padStart(22)}   ${"target".padEnd(16)}`);
  lines.push(" ceiling: bare undici → receiver (event-shaped signed POSTs)");
  for (const c of r.ceiling) row(`${c.label} (${c.concurrency} in flight, ${c.seconds}s)`, `${fmt(c.perSecond)} req/s`, othersLabel(c.cpu));
  row("ceiling used for the ratio (best of before/after)", `${fmt(r.ceilingPerSecond)} req/s`);
  const e = r.endToEnd;
  lines.push(` end to end: complete ${fmt(e.events)} operations (${e.apiConcurrency} in flight) → all received`);
  row("deliveries/s", `${fmt(e.deliveriesPerSecond)} /s`, `≥ ${fmt(TARGETS.ratio * r.ceilingPerSecond)} /s`, r.checks.throughput);
  row("ratio to ceiling", `${fmt(r.ratio, 2)} ×`, `≥ ${TARGETS.ratio} ×`, r.checks.throughput);
  row("completes alone (API throughput)", `${fmt(e.completesPerSecond)} /s`);
  row("first receipt after start", `${fmt(e.firstReceiptMs, 1)} ms`);
  row("last receipt after last complete replied", `${fmt(e.lastReceiptAfterLastCompleteMs, 1)} ms`);
  row("received / unique / duplicates", `${e.received} / ${e.unique} / ${e.duplicates}`);
  if (e.timedOut) row("TIMED OUT waiting for all deliveries", "");
  const perEvent = (s) => (s === undefined ? "n/a" : `${fmt((s / e.events) * 1e6)} µs`);
  row("CPU per event: server / receiver / bench", `${perEvent(e.cpu.serverCpuSeconds)} / ${perEvent(e.cpu.receiverCpuSeconds)} / ${perEvent(e.cpu.benchCpuSeconds)}`, othersLabel(e.cpu));
  row("server CPU use during the phase", `${fmt((e.cpu.serverCpuSeconds / e.cpu.wallSeconds) * 100)}% of a core`);
  if (r.relay) {
    const re = r.relay.endToEnd;
    lines.push(" calibration: bench/relay.mjs (same calls, answers at once, POSTs signed events; no database, no framework)");
    row("relay deliveries/s", `${fmt(re.deliveriesPerSecond)} /s`, `${fmt(r.relayRatio, 2)} × ceiling`);
    row("Tidings end to end as a share of the relay", `${fmt((e.deliveriesPerSecond / re.deliveriesPerSecond) * 100)}%`);
    row("relay CPU per event", `${fmt((re.cpu.serverCpuSeconds / re.events) * 1e6)} µs`, othersLabel(re.cpu));
    row(`relay paced ${r.relay.paced.seconds}s: replied → receipt`, lat(r.relay.paced.completionRepliedToReceiptMs), othersLabel(r.relay.paced.cpu));
  }
  const p = r.paced;
  lines.push(` latency: one complete every ${fmt(1000 / p.rate, 1)} ms for ${p.seconds}s (${fmt(p.events)} events, achieved ${fmt(p.achievedRate, 1)}/s)`);
  lines.push(`  ${"(ms)".padEnd(44)} ${"p50 / p90 / p99 / max".padStart(22)}`);
  row("complete replied (200) → receipt", lat(p.completionRepliedToReceiptMs), `p50≤${TARGETS.p50Ms} p99≤${TARGETS.p99Ms}`, r.checks.latency);
  row("complete sent → receipt", lat(p.completionSentToReceiptMs));
  row("complete API round trip", lat(p.apiRoundTripMs));
  row("scheduler lag (send − target)", lat(p.schedulerLagMs));
  row("receipts before the API reply / missing", `${p.receivedBeforeApiReply} / ${p.missing}`);
  const cpuPct = (s) => (s === undefined ? "n/a" : `${fmt((s / p.cpu.wallSeconds) * 100)}%`);
  row("CPU: server / receiver / bench", `${cpuPct(p.cpu.serverCpuSeconds)} / ${cpuPct(p.cpu.receiverCpuSeconds)} / ${cpuPct(p.cpu.benchCpuSeconds)}`, othersLabel(p.cpu));
  row("server CPU per event", `${fmt((p.cpu.serverCpuSeconds / p.events) * 1e6)} µs`);
  lines.push(" checks");
  const sig = r.signatures;
  row("signatures verified (standardwebhooks sample)", `${sig.verified} ok, ${sig.failures} bad`, "all ok", sig.failures === 0 && sig.verified > 0);
  if (r.relay) row("  of which relay traffic", `${sig.relayVerified} ok, ${sig.relayFailures} bad`);
  row("receiver clock offset (IPC min-RTT)", `${fmt(r.clock.offsetMs, 3)} ms ±${fmt(r.clock.rttMs / 2, 3)}`);
  if (r.serverWarnings > 0) row("server log lines at warn or above", r.serverWarnings);
  warnDisturbed(lines, r.disturbedPhases, " (re-run when the machine is quiet)");
  for (const [name, phase] of Object.entries(r.phases)) {
    if (!phase.probe) continue;
    const pr = phase.probe;
    const wallMs = (phase.endUs - phase.startUs) / 1000;
    lines.push(` server probe, ${name} (${fmt(wallMs / 1000, 2)}s wall): SQL ${fmt(pr.sqlTotalMs)} ms (${fmt((pr.sqlTotalMs / wallMs) * 100)}% of wall), GC ${fmt(pr.gc.totalMs)} ms (max ${fmt(pr.gc.maxMs, 1)}), event-loop delay p50/p99/max ${fmt(pr.eventLoopDelayMs.p50, 1)}/${fmt(pr.eventLoopDelayMs.p99, 1)}/${fmt(pr.eventLoopDelayMs.max, 1)} ms`);
    for (const st of pr.statements.slice(0, 8)) {
      lines.push(`    ${fmt(st.totalMs).padStart(6)} ms ${String(st.count).padStart(6)}× mean ${fmt(st.meanMs, 3)} max ${fmt(st.maxMs, 1).padStart(5)} >5ms ${String(st.over5ms).padStart(3)}  ${st.key.slice(0, 72)}`);
    }
  }
  lines.push("");
  console.log(lines.join("\n"));
}

// ---------------------------------------------------------------------------------------------- main
async function main() {
  if (!existsSync(CLI)) throw new Error(`${relative(process.cwd(), CLI)} is missing: build first (npm run build, or npx tsc -b packages/server)`);
  let serverConcurrency = 16;
  try {
    ({ perEndpointConcurrency: serverConcurrency } = (await import(pathToFileURL(join(dirname(CLI), "../delivery/engine.js")).href)).DEFAULT_ENGINE_OPTIONS);
  } catch {
    /* keep the default */
  }
  const meta = runMeta();
  const config = { server: relative(ROOT, CLI), events: N, pacedSeconds: PACED_SECONDS, rate: RATE, apiConcurrency: API_CONCURRENCY, ceilingSeconds: CEILING_SECONDS, serverConcurrency, verifyEvery: VERIFY_EVERY, spinMs: SPIN_MS, profile: PROFILE, probe: PROBE };
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
    const ceilings = [await ceiling(server, receiver, ceilingPool, secretKey, "before", serverConcurrency, CEILING_SECONDS)];
    if (serverConcurrency !== 64) ceilings.push(await ceiling(server, receiver, ceilingPool, secretKey, "at 64", 64, CEILING_SECONDS));

    log(`end to end: creating ${N} operations (not timed), then completing them`);
    const e2eIds = await inPhase("create", server, () => createOperations(api, N, API_CONCURRENCY)); // not timed
    await sleep(200);
    const e2e = await inPhase("endToEnd", server, () => endToEnd(server, receiver, e2eIds, api));
    log(`end to end: ${e2e.deliveriesPerSecond} deliveries/s`);

    let relay;
    if (RELAY) {
      log(`relay (no database, no framework): end to end with ${N} events, then paced for ${RELAY_PACED_SECONDS}s`);
      const relayProc = await startRelay(receiver, secret, serverConcurrency);
      const relayApi = new ApiClient(relayProc.url, API_CONCURRENCY);
      try {
        const endToEndResult = await endToEnd(relayProc, receiver, await createOperations(relayApi, N, API_CONCURRENCY), relayApi);
        const pacedIds = await createOperations(relayApi, Math.round(RATE * RELAY_PACED_SECONDS), API_CONCURRENCY);
        const pacedRelay = await paced(relayProc, receiver, RATE, RELAY_PACED_SECONDS, pacedIds, relayApi);
        relay = { endToEnd: endToEndResult, paced: pacedRelay };
      } finally {
        await relayApi.close();
        relayProc.proc.kill("SIGTERM");
      }
    }
    log("ceiling again");
    ceilings.push(await ceiling(server, receiver, ceilingPool, secretKey, "after", serverConcurrency, CEILING_SECONDS));

    log(`paced: ${RATE}/s for ${PACED_SECONDS}s`);
    const pacedIds = await createOperations(api, Math.round(RATE * PACED_SECONDS), API_CONCURRENCY); // not timed
    await sleep(200);
    const pacedResult = await inPhase("paced", server, () => paced(server, receiver, RATE, PACED_SECONDS, pacedIds, api));

    const atServerConcurrency = ceilings.filter((c) => c.label === "before" || c.label === "after");
    // The best of before/after: noise from other processes only ever lowers a ceiling.
    const ceilingPerSecond = Math.max(...atServerConcurrency.map((c) => c.perSecond));
    const ratio = e2e.deliveriesPerSecond !== undefined ? e2e.deliveriesPerSecond / ceilingPerSecond : undefined;
    const signatures = {
      verified: e2e.verified + pacedResult.verified + ceilings.reduce((a, c) => a + c.verified, 0),
      failures: e2e.verifyFailures + pacedResult.verifyFailures + ceilings.reduce((a, c) => a + c.verifyFailures, 0),
      relayVerified: relay ? relay.endToEnd.verified + relay.paced.verified : 0,
      relayFailures: relay ? relay.endToEnd.verifyFailures + relay.paced.verifyFailures : 0,
    };
    signatures.verified += signatures.relayVerified;
    signatures.failures += signatures.relayFailures;
    const results = {
      meta,
      config,
      ceiling: ceilings,
      ceilingPerSecond,
      endToEnd: e2e,
      ratio: ratio !== undefined ? Math.round(ratio * 1000) / 1000 : undefined,
      paced: pacedResult,
      relay,
      relayRatio: relay?.endToEnd.deliveriesPerSecond ? Math.round((relay.endToEnd.deliveriesPerSecond / ceilingPerSecond) * 1000) / 1000 : undefined,
      signatures,
      disturbedPhases: [
        ...ceilings.filter((c) => otherCores(c.cpu) > NOISY_CORES).map((c) => `ceiling ${c.label}`),
        ...(otherCores(e2e.cpu) > NOISY_CORES ? ["end to end"] : []),
        ...(relay && otherCores(relay.endToEnd.cpu) > NOISY_CORES ? ["relay end to end"] : []),
        ...(relay && otherCores(relay.paced.cpu) > NOISY_CORES ? ["relay paced"] : []),
        ...(otherCores(pacedResult.cpu) > NOISY_CORES ? ["paced"] : []),
      ],
      clock,
      serverWarnings: server.logLines.length,
      serverWarningSamples: server.logLines.slice(0, 5),
      phases,
      targets: TARGETS,
      checks: {
        throughput: ratio !== undefined && ratio >= TARGETS.ratio && !e2e.timedOut,
        latency: pacedResult.completionRepliedToReceiptMs.p50 <= TARGETS.p50Ms && pacedResult.completionRepliedToReceiptMs.p99 <= TARGETS.p99Ms && pacedResult.missing === 0,
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
