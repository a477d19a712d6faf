// The SQLite WAL under the highest sustained write rate: does it stay bounded? See bench/README.md.
//
//   npm run bench:wal                                 (builds, then 600 s at the rate found)
//   BENCH_WAL_SECONDS=60 node bench/wal.mjs           (a smoke run)
//
// One server (SQLite in a temp dir), one static webhook, the receiver. First the rate: BENCH_WAL_CALIBRATE_SECONDS
// of create-then-complete loops (BENCH_WAL_CONCURRENCY in flight, as fast as the server answers); the sustained rate
// is the lower of completes/s and deliveries/s over its second half, times BENCH_WAL_RATE_SHARE (or BENCH_WAL_RATE).
// Then that rate, paced, for BENCH_WAL_SECONDS. Every second: the `-wal` file's size (stat) and, from /metrics,
// `tidings_sqlite_wal_bytes` and the RESTART checkpoints (`tidings_sqlite_wal_restart_seconds`); GET /healthz every
// 10 ms on a connection of its own, whose longest round trips are the event loop's stalls.
// Target (issue 16): the WAL stays ≤ 128 MB throughout.
import { statSync } from "node:fs";
import { join } from "node:path";
import { intEnv, now, sleep } from "./lib.mjs";
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
  rssMb,
  runMain,
  runMeta,
  saveResults,
  startProcesses,
  stopReceiver,
  stopServer,
  warnDisturbed,
  withServerOutput,
} from "./harness.mjs";
import { closedLoop, healthzProbe, histogram, histogramMaxBound, metricSeries, pacedLoad } from "./load.mjs";

const SECONDS = intEnv("BENCH_WAL_SECONDS", 600);
const CALIBRATE_SECONDS = intEnv("BENCH_WAL_CALIBRATE_SECONDS", 30);
const CONCURRENCY = Math.round(intEnv("BENCH_WAL_CONCURRENCY", 32));
const RATE_SHARE = intEnv("BENCH_WAL_RATE_SHARE", 0.9);
const FIXED_RATE = process.env.BENCH_WAL_RATE ? intEnv("BENCH_WAL_RATE", 0) : undefined;
const MAX_IN_FLIGHT = Math.round(intEnv("BENCH_WAL_MAX_IN_FLIGHT", 256));
const TARGET_MB = 128;
const MB = 1024 * 1024;
const RESTART = "tidings_sqlite_wal_restart_seconds";

const fileBytes = (file) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/**
 * Every second until stopped: the WAL file's size, the server's gauge and restarts, the receiver's count, RSS.
 */
function sampler(server, receiver, walFile) {
  const samples = [];
  let running = true;
  const t0 = now();
  const loop = (async () => {
    while (running) {
      await sleep(1000);
      const series = await metricSeries(server.url).catch(() => []);
      const restarts = histogram(series, RESTART);
      const { unique } = await receiver.child.call("stats");
      samples.push({
        s: Math.round((now() - t0) / 100) / 10,
        walFileBytes: fileBytes(walFile),
        walGaugeBytes: series.find((x) => x.name === "tidings_sqlite_wal_bytes")?.value,
        restarts: restarts.count,
        received: unique,
        rssMb: rssMb(server.proc.pid),
      });
    }
  })();
  return async () => {
    running = false;
    await loop;
    return samples;
  };
}

async function calibrate(log, receiver, api) {
  if (FIXED_RATE !== undefined) return { rate: FIXED_RATE, fixed: true };
  log(`calibration: ${CONCURRENCY} create-then-complete loops for ${CALIBRATE_SECONDS}s`);
  // Deliveries are counted over the second half, once the engine has caught up with the first completes.
  const first = closedLoop(api, { concurrency: CONCURRENCY, seconds: CALIBRATE_SECONDS });
  await sleep((CALIBRATE_SECONDS / 2) * 1000);
  const r0 = (await receiver.child.call("stats")).unique;
  const t0 = now();
  const loop = await first;
  const t1 = now();
  const r1 = (await receiver.child.call("stats")).unique;
  const deliveriesPerSecond = ((r1 - r0) / (t1 - t0)) * 1000;
  const completesPerSecond = loop.completed / CALIBRATE_SECONDS;
  const sustained = Math.min(deliveriesPerSecond, completesPerSecond);
  return {
    completesPerSecond: Math.round(completesPerSecond),
    deliveriesPerSecond: Math.round(deliveriesPerSecond),
    failures: loop.failures,
    rate: Math.max(1, Math.round(sustained * RATE_SHARE)),
  };
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  lines.push("");
  lines.push(
    `Tidings WAL bound (SQLite) — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  const c = r.calibration;
  add(
    "sustained rate (paced)",
    `${fmt(r.hold.rate)} /s`,
    c.fixed
      ? "BENCH_WAL_RATE"
      : `${RATE_SHARE_LABEL(r)} of min(completes ${fmt(c.completesPerSecond)}/s, deliveries ${fmt(c.deliveriesPerSecond)}/s) flat out`,
  );
  add(
    `held ${fmt(r.config.seconds)} s: completes/s · deliveries/s`,
    `${fmt(r.hold.achievedCompletesPerSecond, 1)} · ${fmt(r.deliveriesPerSecond, 1)}`,
    `skipped turns ${r.hold.skipped} · failures ${r.hold.failures} · backlog at end ${r.backlogAtEnd}`,
  );
  add(
    "WAL file max (stat, every 1 s)",
    `${fmt(r.walFileMaxBytes / MB, 1)} MB`,
    `target ≤ ${TARGET_MB} MB: ${r.pass ? "PASS" : "MISS"}`,
  );
  add("tidings_sqlite_wal_bytes max", `${fmt(r.walGaugeMaxBytes / MB, 1)} MB`, "the WAL after each checkpoint pass");
  add(
    "RESTART checkpoints · mean pause",
    `${r.restarts.count ?? "n/a"} · ${fmt(r.restarts.meanMs, 2)} ms`,
    `max ${maxLabel(r.restarts)} (histogram bucket); a pause includes its wait for the server's transaction`,
  );
  const h = r.healthz.roundTripMs;
  add(
    `GET /healthz every ${r.healthz.everyMs} ms: p50/p99/max`,
    `${fmt(h.p50, 1)} / ${fmt(h.p99, 1)} / ${fmt(h.max, 1)} ms`,
    `${r.healthz.stalls} round trips ≥ ${r.healthz.stallMs} ms`,
  );
  add(
    "server CPU · RSS max",
    `${fmt(r.cpu.serverCpuSeconds / r.cpu.wallSeconds, 2)} cores · ${r.rssMaxMb} MB`,
    othersLabel(r.cpu),
  );
  warnDisturbed(lines, r.disturbedPhases);
  lines.push("");
  console.log(lines.join("\n"));
}

/** The restarts' max as the histogram knows it: ≤ a bucket's bound, or above the last one. */
const maxLabel = ({ count, maxBoundMs, lastBucketMs }) =>
  !count ? "n/a" : Number.isFinite(maxBoundMs) ? `≤ ${fmt(maxBoundMs)} ms` : `> ${fmt(lastBucketMs)} ms`;

const RATE_SHARE_LABEL = (r) => `${Math.round(r.config.rateShare * 100)} %`;

async function main() {
  const t0 = now();
  const log = logger("wal", t0);
  const meta = runMeta();
  const { dataDir, receiver, server } = await startProcesses(log, "tidings-bench-wal-");
  const api = new ApiClient(server.url, CONCURRENCY);
  const walFile = join(dataDir, "tidings.db-wal");
  const results = await withServerOutput(server, async () => {
    const webhook = await api.call("POST", "/v1/webhooks", { uri: `${receiver.url}/hook`, subscribed_events: ["*"] });
    await receiver.child.call("reset", { phase: "calibrate", secret: webhook.new_signing_secret, verifyEvery: 1000 });
    const calibration = await calibrate(log, receiver, api);
    log(`calibration: ${JSON.stringify(calibration)}; draining`);
    await sleep(3000);
    await receiver.child.call("reset", { phase: "hold", verifyEvery: 1000 });
    const stopSampler = sampler(server, receiver, walFile);
    const stopProbe = healthzProbe(server.url);
    const cpu0 = cpuSnapshot(server, receiver, { threads: false });
    const before = histogram(await metricSeries(server.url), RESTART);
    const holdStart = now();
    log(`hold: ${calibration.rate}/s for ${SECONDS}s`);
    let lastLog = 0;
    const hold = await pacedLoad(api, {
      rate: calibration.rate,
      seconds: SECONDS,
      maxInFlight: MAX_IN_FLIGHT,
      onSecond: ({ completed, skipped }) => {
        const s = Math.round((now() - holdStart) / 1000);
        if (s - lastLog >= 30) {
          lastLog = s;
          log(`${s}s: ${completed} completed, ${skipped} skipped, WAL ${fmt(fileBytes(walFile) / MB, 1)} MB`);
        }
      },
    });
    const holdEnd = now();
    const receivedAtEnd = (await receiver.child.call("stats")).unique;
    const cpu = cpuDelta(cpu0, cpuSnapshot(server, receiver, { threads: false }));
    const after = histogram(await metricSeries(server.url), RESTART);
    const healthz = await stopProbe();
    const samples = await stopSampler();
    const count = (after.count ?? 0) - (before.count ?? 0);
    const walFileMaxBytes = Math.max(0, ...samples.map((s) => s.walFileBytes));
    const walGaugeMaxBytes = Math.max(0, ...samples.map((s) => s.walGaugeBytes ?? 0));
    return {
      meta,
      config: {
        seconds: SECONDS,
        calibrateSeconds: CALIBRATE_SECONDS,
        concurrency: CONCURRENCY,
        rateShare: RATE_SHARE,
        maxInFlight: MAX_IN_FLIGHT,
      },
      calibration,
      hold,
      deliveriesPerSecond: Math.round((receivedAtEnd / (holdEnd - holdStart)) * 10000) / 10,
      backlogAtEnd: hold.completed - receivedAtEnd,
      walFileMaxBytes,
      walGaugeMaxBytes,
      targetMb: TARGET_MB,
      pass: walFileMaxBytes <= TARGET_MB * MB,
      restarts: {
        count,
        meanMs: count > 0 ? Math.round((((after.sum ?? 0) - (before.sum ?? 0)) / count) * 1e5) / 100 : undefined,
        maxBoundMs: count > 0 ? histogramMaxBound(after) * 1000 : undefined,
        lastBucketMs: Math.max(...after.buckets.map(([le]) => Number(le)).filter(Number.isFinite)) * 1000,
        buckets: after.buckets,
      },
      healthz,
      rssMaxMb: Math.max(0, ...samples.map((s) => s.rssMb ?? 0)),
      cpu,
      disturbedPhases: otherCores(cpu) > NOISY_CORES ? ["hold"] : [],
      samples,
      totalSeconds: 0,
    };
  });
  await api.close();
  await stopReceiver(receiver);
  await stopServer(server);
  saveResults("wal.json", results, t0, printReport);
}

runMain(main);
