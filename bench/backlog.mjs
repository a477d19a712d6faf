// A backlog after an outage: how fast does it drain, and does the recovered endpoint get a thundering herd?
// See bench/README.md.
//
//   npm run bench:backlog                                  (builds, then BENCH_BACKLOG=1000000: long)
//   BENCH_BACKLOG=200000 node bench/backlog.mjs
//   BENCH_BACKLOG=20000 BENCH_BACKLOG_DRIVERS=sqlite node bench/backlog.mjs      (a smoke run)
//
// For each driver (SQLite, PostgreSQL) and each size (BENCH_BACKLOG_SMALL = 5,000, then BENCH_BACKLOG), on a fresh
// store: one static webhook is registered for a receiver whose port is closed; with the server stopped,
// bench/seed.mjs inserts that many pending, due deliveries for it; the server starts again and meets the closed
// port for BENCH_BACKLOG_CLOSED_S (connection refused), then the receiver opens the port. The retry schedule is
// 0.2 s (BENCH_BACKLOG_RETRY_SCHEDULE), so that the deliveries tried while the port was closed are due again within
// 0.24 s of it opening: every delivery is due during the drain, at either size, and the drain measures the
// server, not the retry schedule. Measured until the receiver has every delivery:
//   - drain rate = deliveries / (port opened → last receipt), over the whole drain (and per tenth of it);
//   - the server's RSS, sampled every BENCH_BACKLOG_RSS_MS;
//   - the most requests the receiver had in flight at once (each answer waits BENCH_BACKLOG_HOLD_MS so that they
//     overlap): it must never exceed the server's per-endpoint concurrency (no thundering herd).
// The row: drain rate at BENCH_BACKLOG ÷ at 5,000, per driver, from this run.
import { randomBytes } from "node:crypto";
import { intEnv, now, sleep } from "./lib.mjs";
import {
  ApiClient,
  cpuDelta,
  cpuSnapshot,
  engineOptions,
  fmt,
  freePort,
  logger,
  metricSum,
  NOISY_CORES,
  openReceiver,
  otherCores,
  othersLabel,
  row,
  rssMb,
  runMain,
  runMeta,
  saveResults,
  startReceiver,
  startServer,
  stopReceiver,
  stopServer,
  tempDir,
  warnDisturbed,
  withServerOutput,
} from "./harness.mjs";
import { createSchema, databaseCpuDelta, databaseCpuSnapshot } from "./postgres.mjs";
import { seedBacklog, sqliteFile } from "./seed.mjs";

const LARGE = Math.round(intEnv("BENCH_BACKLOG", 1_000_000));
const SMALL = Math.round(intEnv("BENCH_BACKLOG_SMALL", 5000));
const DRIVERS = (process.env.BENCH_BACKLOG_DRIVERS ?? "sqlite,postgres")
  .split(",")
  .map((d) => d.trim())
  .filter(Boolean);
const CLOSED_SECONDS = intEnv("BENCH_BACKLOG_CLOSED_S", 2);
const HOLD_MS = Number(process.env.BENCH_BACKLOG_HOLD_MS ?? 1);
const RSS_MS = intEnv("BENCH_BACKLOG_RSS_MS", 500);
const MAX_SECONDS = intEnv("BENCH_BACKLOG_MAX_SECONDS", 7200);
const RETRY_SCHEDULE = process.env.BENCH_BACKLOG_RETRY_SCHEDULE ?? "0.2";
const VERIFY_EVERY = Math.round(intEnv("BENCH_VERIFY_EVERY", 1000));
const TARGETS = { ratio: 0.9, rssMb: 300 };
const MASTER_KEY = randomBytes(32).toString("base64");

/** Samples the receiver's count every `everyMs` (for the drain curve and the progress log) until stopped. */
function progressSampler(receiver, everyMs, onSample) {
  const samples = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      await sleep(everyMs);
      if (!running) break;
      const stats = await receiver.child.call("stats");
      samples.push({ at: now(), unique: stats.unique });
      onSample(stats);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return samples;
  };
}

/** Deliveries/s over each tenth of the drain, from the progress samples. */
function drainCurve(samples, openAt, total) {
  const points = [{ at: openAt, unique: 0 }, ...samples];
  const curve = [];
  for (let tenth = 1; tenth <= 10; tenth++) {
    const from = points.find((p) => p.unique >= ((tenth - 1) * total) / 10);
    const to = points.find((p) => p.unique >= (tenth * total) / 10);
    if (from === undefined || to === undefined || to.at <= from.at) break;
    curve.push(Math.round(((to.unique - from.unique) / (to.at - from.at)) * 1000));
  }
  return curve;
}

/** One drain: `size` deliveries seeded on a fresh `driver` store. */
async function drain(log, driver, size, perEndpointConcurrency) {
  const label = `${driver} ${fmt(size)}`;
  const receiver = await startReceiver({ listen: false });
  const port = await freePort();
  const hookUri = `http://127.0.0.1:${port}/hook`;
  const dataDir = tempDir("tidings-bench-backlog-");
  const schema = driver === "postgres" ? await createSchema(`backlog${size}`) : undefined;
  const env = schema ? { TIDINGS_DATABASE_URL: schema.url, TIDINGS_MASTER_KEY: MASTER_KEY } : {};
  let server;
  try {
    // 1. The webhook, through the API; then the server stops while the backlog is seeded.
    server = await startServer(dataDir, env);
    const api = new ApiClient(server.url, 4);
    const webhook = await api.call("POST", "/v1/webhooks", { uri: hookUri, subscribed_events: ["*"] });
    await api.close();
    await stopServer(server);
    log(`${label}: seeding ${fmt(size)} pending deliveries for webhook ${webhook.id} (port ${port} closed)`);
    const seedSeconds = await seedBacklog(schema ? { postgresUrl: schema.url } : { sqliteFile: sqliteFile(dataDir) }, {
      webhookId: webhook.id,
      count: size,
    });
    log(`${label}: seeded in ${seedSeconds}s`);

    // 2. The server meets the closed port.
    server = await startServer(dataDir, { ...env, TIDINGS_RETRY_SCHEDULE: RETRY_SCHEDULE });
    return await withServerOutput(server, async () => {
      await sleep(CLOSED_SECONDS * 1000);
      const failedWhileClosed = await metricSum(server.url, "tidings_delivery_attempts_total");
      await receiver.child.call("reset", {
        phase: label,
        expect: size,
        verifyEvery: VERIFY_EVERY,
        secret: webhook.new_signing_secret,
        holdMs: HOLD_MS,
      });
      receiver.child.clearEvents();

      // 3. The endpoint is back: drain.
      const rss = [];
      const rssTimer = setInterval(() => rss.push(rssMb(server.proc.pid)), RSS_MS);
      const rssAtOpen = rssMb(server.proc.pid);
      const db0 = schema ? await databaseCpuSnapshot(schema.applicationName) : undefined;
      const cpu0 = cpuSnapshot(server, receiver, { threads: false });
      const openAt = await openReceiver(receiver, port);
      log(
        `${label}: receiver open on ${port} after ${CLOSED_SECONDS}s closed (${failedWhileClosed ?? "?"} failed attempts meanwhile)`,
      );
      let lastLog = now();
      const stopSampling = progressSampler(receiver, size >= 100_000 ? 2000 : 250, (stats) => {
        if (now() - lastLog < 30_000) return;
        lastLog = now();
        log(
          `${label}: ${fmt(stats.unique)} of ${fmt(size)} received (${fmt((stats.unique / (now() - openAt)) * 1000)}/s so far, RSS ${rss.at(-1) ?? "?"} MB, ${stats.maxInFlight} max in flight)`,
        );
      });
      const reached = await receiver.child.waitEvent("reached", MAX_SECONDS * 1000);
      const samples = await stopSampling();
      clearInterval(rssTimer);
      const cpu = cpuDelta(cpu0, cpuSnapshot(server, receiver, { threads: false }));
      const db1 = schema ? await databaseCpuSnapshot(schema.applicationName) : undefined;
      const databaseCpuSeconds = db0 && db1 ? databaseCpuDelta(db0, db1) : undefined;
      if (databaseCpuSeconds !== undefined && cpu.otherProcessesCpuSeconds !== undefined)
        cpu.otherProcessesCpuSeconds = Math.round((cpu.otherProcessesCpuSeconds - databaseCpuSeconds) * 1000) / 1000;
      const stats = await receiver.child.call("stats");
      const end = reached?.at ?? now();
      const seconds = (end - openAt) / 1000;
      const rssValues = [rssAtOpen, ...rss].filter((x) => x !== undefined);
      const result = {
        label,
        driver,
        size,
        seedSeconds,
        closedSeconds: CLOSED_SECONDS,
        attemptsWhileClosed: failedWhileClosed,
        timedOut: reached === undefined,
        received: stats.unique,
        seconds: Math.round(seconds * 1000) / 1000,
        // Over the whole drain; when cut at the time limit, the rate so far.
        deliveriesPerSecond: Math.round(stats.unique / seconds),
        curvePerTenth: drainCurve(samples, openAt, size),
        duplicates: stats.duplicates,
        maxInFlight: stats.maxInFlight,
        perEndpointConcurrency,
        rssMb: { atOpen: rssAtOpen, max: rssValues.length ? Math.max(...rssValues) : undefined, end: rssValues.at(-1) },
        databaseCpuSeconds,
        cpu,
        serverWarnings: server.logLines.length,
        serverWarningSamples: server.logLines.slice(0, 5),
      };
      log(
        `${label}: ${fmt(result.deliveriesPerSecond)} deliveries/s over ${result.seconds}s, RSS max ${result.rssMb.max} MB, ${result.maxInFlight} max in flight${result.timedOut ? " (CUT at the time limit)" : ""}`,
      );
      return result;
    });
  } finally {
    await stopReceiver(receiver);
    if (server) await stopServer(server);
    await schema?.drop();
  }
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  lines.push("");
  lines.push(
    `Tidings backlog drain — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` pending deliveries for one static webhook whose port was closed (retry schedule ${r.config.retrySchedule} s), then opened; the receiver holds each answer ${r.config.holdMs} ms`,
  );
  lines.push(
    `  ${"drain".padEnd(46)} ${"deliveries/s".padStart(24)}   seconds · RSS open/max MB · max in flight (limit) · dup · noise`,
  );
  for (const d of r.drains) {
    add(
      `${d.label} (seeded in ${d.seedSeconds}s)`,
      `${fmt(d.deliveriesPerSecond)} /s`,
      `${d.seconds} · ${d.rssMb.atOpen ?? "?"}/${d.rssMb.max ?? "?"} · ${d.maxInFlight} (${d.perEndpointConcurrency}) · ${d.duplicates} · ${othersLabel(d.cpu)}${d.timedOut ? ` · CUT at ${fmt(d.received)}` : ""}`,
    );
    if (d.curvePerTenth.length > 1)
      add("  per tenth of the drain (/s)", "", d.curvePerTenth.map((x) => fmt(x)).join(" "));
  }
  for (const [driver, v] of Object.entries(r.byDriver)) {
    add(
      `${driver}: drain rate ${fmt(r.config.large)} ÷ ${fmt(r.config.small)}`,
      `${fmt(v.ratio, 2)} ×`,
      `target ≥ ${TARGETS.ratio}; RSS max ${v.rssMaxMb ?? "?"} MB (≤ ${TARGETS.rssMb}); in flight ≤ ${v.perEndpointConcurrency}: ${v.herdFree ? "yes" : "NO"}`,
    );
  }
  for (const d of r.drains)
    if (d.serverWarnings > 0)
      lines.push(
        `  ! ${d.label}: ${d.serverWarnings} server log lines at warn or above, e.g. ${d.serverWarningSamples[0]?.slice(0, 200)}`,
      );
  warnDisturbed(lines, r.disturbedPhases);
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("backlog", t0);
  const meta = runMeta();
  const { perEndpointConcurrency } = await engineOptions();
  const config = {
    large: LARGE,
    small: SMALL,
    drivers: DRIVERS,
    closedSeconds: CLOSED_SECONDS,
    holdMs: HOLD_MS,
    retrySchedule: RETRY_SCHEDULE,
    maxSeconds: MAX_SECONDS,
    perEndpointConcurrency,
  };
  const drains = [];
  for (const driver of DRIVERS) {
    for (const size of [SMALL, LARGE]) drains.push(await drain(log, driver, size, perEndpointConcurrency));
  }
  const byDriver = {};
  for (const driver of DRIVERS) {
    const small = drains.find((d) => d.driver === driver && d.size === SMALL);
    const large = drains.find((d) => d.driver === driver && d.size === LARGE);
    const ratio =
      small?.deliveriesPerSecond && large
        ? Math.round((large.deliveriesPerSecond / small.deliveriesPerSecond) * 1000) / 1000
        : undefined;
    const rssMaxMb = Math.max(...[small, large].map((d) => d?.rssMb.max ?? 0));
    const herdFree = [small, large].every((d) => d !== undefined && d.maxInFlight <= perEndpointConcurrency);
    byDriver[driver] = {
      ratio,
      smallPerSecond: small?.deliveriesPerSecond,
      largePerSecond: large?.deliveriesPerSecond,
      largeCut: large?.timedOut,
      rssMaxMb,
      herdFree,
      perEndpointConcurrency,
      pass: ratio !== undefined && ratio >= TARGETS.ratio && rssMaxMb <= TARGETS.rssMb && herdFree && !large.timedOut,
    };
  }
  const results = {
    meta,
    config,
    drains,
    byDriver,
    targets: TARGETS,
    disturbedPhases: drains.filter((d) => otherCores(d.cpu) > NOISY_CORES).map((d) => d.label),
    totalSeconds: 0,
  };
  saveResults("backlog.json", results, t0, printReport);
}

runMain(main);
