// Dead endpoints at scale: do black holes drag the healthy endpoints down? See bench/README.md.
//
//   npm run build && node bench/dead-endpoints.mjs
//   BENCH_DEAD_ENDPOINTS=100 BENCH_DEAD_EVENTS=200 BENCH_DEAD_BLACKHOLES=10 node bench/dead-endpoints.mjs
//
// One server (default delivery timeout, 10 s), one receiver process holding BENCH_DEAD_ENDPOINTS static webhooks
// on one host (`/hook/0` … `/hook/99`: one origin, as a SaaS receiving for many customers), each subscribed to
// every event. Each phase completes BENCH_DEAD_EVENTS operations (each event fans out to every webhook):
//   1. all healthy: time until every endpoint has every event;
//   2. black holes: BENCH_DEAD_BLACKHOLES of the paths accept the connection and never answer; time until the
//      healthy endpoints have every event.
// Healthy deliveries/s = healthy deliveries / (first complete sent → last healthy receipt); the ratio of phase 2 to
// phase 1 is the row. Duplicates: the same webhook-id received twice on the same healthy path.
import { forEachConcurrent, intEnv, now, sleep } from "./lib.mjs";
import {
  ApiClient,
  completeAll,
  createOperations,
  fmt,
  logger,
  NOISY_CORES,
  otherCores,
  othersLabel,
  row,
  runMain,
  runMeta,
  saveResults,
  startProcesses,
  stopReceiver,
  stopServer,
  warnDisturbed,
  withServerOutput,
} from "./harness.mjs";

const ENDPOINTS = Math.round(intEnv("BENCH_DEAD_ENDPOINTS", 100));
const EVENTS = Math.round(intEnv("BENCH_DEAD_EVENTS", 200));
const BLACK_HOLES = Math.round(intEnv("BENCH_DEAD_BLACKHOLES", Math.round(ENDPOINTS / 10)));
const WARMUP = Math.round(intEnv("BENCH_DEAD_WARMUP", 20));
const MAX_SECONDS = intEnv("BENCH_DEAD_MAX_SECONDS", 60);
const API_CONCURRENCY = Math.round(intEnv("BENCH_API_CONCURRENCY", 32));
const TARGET_RATIO = 0.9;

const pathOf = (i) => `/hook/${i}`;
/** Black holes spread over the endpoints (every tenth with the defaults), not bunched at the start. */
const blackHolePaths = () =>
  Array.from({ length: BLACK_HOLES }, (_, k) => pathOf(Math.floor((k * ENDPOINTS) / BLACK_HOLES)));

/** Completes EVENTS fresh operations; waits until the healthy paths have them all (or MAX_SECONDS). */
async function phase(label, server, receiver, api, blackHoles) {
  const ids = await createOperations(api, EVENTS, API_CONCURRENCY); // not timed
  await sleep(300);
  const healthyEndpoints = ENDPOINTS - blackHoles.length;
  const expect = EVENTS * healthyEndpoints;
  const { reached, cpu, start, apiDone } = await completeAll(server, receiver, api, ids, {
    phase: label,
    concurrency: API_CONCURRENCY,
    verifyEvery: 0,
    expect,
    receiverOptions: { blackHoles },
    timeoutMs: MAX_SECONDS * 1000,
  });
  const stats = await receiver.child.call("stats");
  const end = reached?.at ?? now();
  const seconds = (end - start) / 1000;
  return {
    label,
    events: EVENTS,
    endpoints: ENDPOINTS,
    blackHoles: blackHoles.length,
    healthyDeliveries: expect,
    received: stats.unique,
    timedOut: reached === undefined,
    seconds: Math.round(seconds * 1000) / 1000,
    // On a timeout, the rate so far (a lower bound of the whole phase's).
    healthyDeliveriesPerSecond: Math.round(stats.unique / seconds),
    completesPerSecond: Math.round((EVENTS / (apiDone - start)) * 1000),
    duplicates: stats.duplicates,
    blackHoleRequests: stats.blackHoleRequests,
    healthyPathsSeen: stats.paths,
    cpu,
  };
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  lines.push("");
  lines.push(
    `Tidings dead endpoints — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` ${r.config.endpoints} static webhooks on one host, ${r.config.events} events each fanned out to all; black holes accept and never answer (server timeout 10 s)`,
  );
  for (const p of [r.healthy, r.withBlackHoles]) {
    add(
      `${p.label} (${p.blackHoles} black holes, ${p.seconds} s)`,
      `${fmt(p.healthyDeliveriesPerSecond)} /s`,
      `${fmt(p.received)} of ${fmt(p.healthyDeliveries)} healthy deliveries${p.timedOut ? " (CUT at the time limit)" : ""} · dup ${p.duplicates} · ${othersLabel(p.cpu)}`,
    );
  }
  add(
    "healthy throughput with black holes ÷ all healthy",
    `${fmt(r.ratio, 2)} ×`,
    `target ≥ ${TARGET_RATIO}, no duplicates: ${r.pass ? "PASS" : "MISS"}`,
  );
  add("duplicate deliveries (same webhook-id, same path)", `${r.withBlackHoles.duplicates + r.healthy.duplicates}`);
  add("requests to the black holes (never answered)", `${r.withBlackHoles.blackHoleRequests}`);
  warnDisturbed(lines, r.disturbedPhases);
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("dead", t0);
  const meta = runMeta();
  const config = {
    endpoints: ENDPOINTS,
    events: EVENTS,
    blackHoles: BLACK_HOLES,
    warmup: WARMUP,
    maxSeconds: MAX_SECONDS,
    apiConcurrency: API_CONCURRENCY,
  };
  const { receiver, server } = await startProcesses(log, "tidings-bench-dead-");
  const api = new ApiClient(server.url, API_CONCURRENCY);
  await withServerOutput(server, async () => {
    log(`registering ${ENDPOINTS} webhooks on ${receiver.url}`);
    await forEachConcurrent(
      Array.from({ length: ENDPOINTS }, (_, i) => i),
      8,
      (i) => api.call("POST", "/v1/webhooks", { uri: `${receiver.url}${pathOf(i)}`, subscribed_events: ["*"] }),
    );

    log(`warm-up: ${WARMUP} events × ${ENDPOINTS} endpoints`);
    const warmIds = await createOperations(api, WARMUP, API_CONCURRENCY);
    await completeAll(server, receiver, api, warmIds, {
      phase: "warm-up",
      concurrency: API_CONCURRENCY,
      verifyEvery: 0,
      expect: WARMUP * ENDPOINTS,
    });

    log(`all healthy: ${EVENTS} events × ${ENDPOINTS} endpoints`);
    const healthy = await phase("all healthy", server, receiver, api, []);
    log(`all healthy: ${healthy.healthyDeliveriesPerSecond} deliveries/s`);
    log(`${BLACK_HOLES} black holes: ${EVENTS} events × ${ENDPOINTS} endpoints`);
    const withBlackHoles = await phase("black holes", server, receiver, api, blackHolePaths());
    log(
      `${BLACK_HOLES} black holes: ${withBlackHoles.healthyDeliveriesPerSecond} healthy deliveries/s${withBlackHoles.timedOut ? " (cut)" : ""}`,
    );

    const ratio = healthy.healthyDeliveriesPerSecond
      ? withBlackHoles.healthyDeliveriesPerSecond / healthy.healthyDeliveriesPerSecond
      : undefined;
    const results = {
      meta,
      config,
      healthy,
      withBlackHoles,
      ratio: ratio !== undefined ? Math.round(ratio * 1000) / 1000 : undefined,
      duplicates: healthy.duplicates + withBlackHoles.duplicates,
      pass:
        ratio !== undefined &&
        ratio >= TARGET_RATIO &&
        healthy.duplicates + withBlackHoles.duplicates === 0 &&
        !healthy.timedOut,
      disturbedPhases: [healthy, withBlackHoles].filter((p) => otherCores(p.cpu) > NOISY_CORES).map((p) => p.label),
      serverWarnings: server.logLines.length,
      serverWarningSamples: server.logLines.slice(0, 5),
      totalSeconds: 0,
    };
    await api.close();
    // The receiver first: its exit drops the black holes' connections, so the server's attempts end at once.
    await stopReceiver(receiver);
    await stopServer(server);
    saveResults("dead-endpoints.json", results, t0, printReport);
  });
}

runMain(main);
