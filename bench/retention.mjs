// Retention under steady traffic: does the database stop growing once records start to be purged? See
// bench/README.md.
//
//   npm run bench:retention                                     (builds, then 600 s at 100/s)
//   BENCH_RETENTION_SECONDS=120 BENCH_RETENTION=30s node bench/retention.mjs     (a smoke run)
//
// One server (SQLite in a temp dir) with TIDINGS_RETENTION=BENCH_RETENTION (2m), one static webhook, the receiver.
// Operations are created and completed at BENCH_RETENTION_RATE (100)/s, paced, for BENCH_RETENTION_SECONDS (600).
// Every BENCH_RETENTION_SAMPLE_S (10) s: the main file's size, the `-wal` file's, and, on a connection of the bench's
// own, `page_count` and `freelist_count` (pages in use = page_count − freelist_count), with
// `tidings_retention_purged_total` by resource. The middle is the sample nearest to BENCH_RETENTION_MIDDLE_SECONDS
// (half the run), the end one taken as the load ends. Target (issue 16): the database at the end ÷ at the middle ≤ 1.2 — the main file's size (what the
// disk holds; freed pages stay in the file and are reused, so it should level off). The pages in use and the WAL
// are shown beside it.
import { statSync } from "node:fs";
import { createRequire } from "node:module";
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
  ROOT,
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
import { byLabel, metricSeries, pacedLoad } from "./load.mjs";
import { sqliteFile } from "./seed.mjs";

const SECONDS = intEnv("BENCH_RETENTION_SECONDS", 600);
const MIDDLE_SECONDS = intEnv("BENCH_RETENTION_MIDDLE_SECONDS", SECONDS / 2);
const RATE = intEnv("BENCH_RETENTION_RATE", 100);
const RETENTION = process.env.BENCH_RETENTION ?? "2m";
const SAMPLE_SECONDS = intEnv("BENCH_RETENTION_SAMPLE_S", 10);
const TARGET = 1.2;
const MB = 1024 * 1024;
const PURGED = "tidings_retention_purged_total";

const fileBytes = (file) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** Every SAMPLE_SECONDS until stopped: file sizes, pages in use, purges so far, the receiver's count, RSS. */
function sampler(server, receiver, file) {
  // better-sqlite3 as the server package resolves it; reads only (each PRAGMA is a short read transaction).
  const Database = createRequire(join(ROOT, "packages/server/package.json"))("better-sqlite3");
  const db = new Database(file, { fileMustExist: true });
  const samples = [];
  let running = true;
  const t0 = now();
  const take = async () => {
    const series = await metricSeries(server.url).catch(() => []);
    const pageSize = db.pragma("page_size", { simple: true });
    const pages = db.pragma("page_count", { simple: true });
    const free = db.pragma("freelist_count", { simple: true });
    samples.push({
      s: Math.round((now() - t0) / 100) / 10,
      mainFileBytes: fileBytes(file),
      walFileBytes: fileBytes(`${file}-wal`),
      pageSize,
      pageCount: pages,
      freelistCount: free,
      pagesInUseBytes: (pages - free) * pageSize,
      purged: byLabel(series, PURGED, "resource"),
      received: (await receiver.child.call("stats")).unique,
      rssMb: rssMb(server.proc.pid),
    });
  };
  const loop = (async () => {
    await take();
    while (running) {
      await sleep(SAMPLE_SECONDS * 1000);
      if (running) await take();
    }
  })();
  return async () => {
    running = false;
    await loop;
    await take();
    db.close();
    return samples;
  };
}

/** The sample nearest to `seconds` into the run. */
const sampleAt = (samples, seconds) =>
  samples.reduce((best, s) => (Math.abs(s.s - seconds) < Math.abs(best.s - seconds) ? s : best));

const ratio = (a, b) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : undefined);

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  lines.push("");
  lines.push(
    `Tidings retention (SQLite) — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` ${fmt(r.config.rate)} creates + completes/s for ${fmt(r.config.seconds)} s, TIDINGS_RETENTION=${r.config.retention}; sizes at ${fmt(r.middle.s)} s and ${fmt(r.end.s)} s`,
  );
  const mb = (b) => `${fmt(b / MB, 1)} MB`;
  add(
    "main file: middle → end",
    `${mb(r.middle.mainFileBytes)} → ${mb(r.end.mainFileBytes)}`,
    `÷ ${fmt(r.ratios.mainFile, 3)}  target ≤ ${TARGET}: ${r.pass ? "PASS" : "MISS"}`,
  );
  add(
    "pages in use (page_count − freelist)",
    `${mb(r.middle.pagesInUseBytes)} → ${mb(r.end.pagesInUseBytes)}`,
    `÷ ${fmt(r.ratios.pagesInUse, 3)}; free pages at end ${fmt(r.end.freelistCount)}`,
  );
  add(
    "main file + WAL",
    `${mb(r.middle.mainFileBytes + r.middle.walFileBytes)} → ${mb(r.end.mainFileBytes + r.end.walFileBytes)}`,
    `÷ ${fmt(r.ratios.withWal, 3)}; WAL max ${mb(r.walMaxBytes)}`,
  );
  add(
    "purged (events · deliveries · attempts · operations)",
    ["events", "deliveries", "attempts", "operations"].map((k) => fmt(r.end.purged[k] ?? 0)).join(" · "),
    `of ${fmt(r.load.completed)} completed`,
  );
  add(
    "achieved completes/s · skipped turns · failures",
    `${fmt(r.load.achievedCompletesPerSecond, 1)} · ${r.load.skipped} · ${r.load.failures}`,
    `received ${fmt(r.end.received)}`,
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

async function main() {
  const t0 = now();
  const log = logger("retention", t0);
  const meta = runMeta();
  const { dataDir, receiver, server } = await startProcesses(log, "tidings-bench-retention-", {
    TIDINGS_RETENTION: RETENTION,
  });
  const api = new ApiClient(server.url, 16);
  const results = await withServerOutput(server, async () => {
    const webhook = await api.call("POST", "/v1/webhooks", { uri: `${receiver.url}/hook`, subscribed_events: ["*"] });
    await receiver.child.call("reset", { phase: "steady", secret: webhook.new_signing_secret, verifyEvery: 1000 });
    const stopSampler = sampler(server, receiver, sqliteFile(dataDir));
    const cpu0 = cpuSnapshot(server, receiver, { threads: false });
    const start = now();
    log(`${RATE}/s for ${SECONDS}s, TIDINGS_RETENTION=${RETENTION}`);
    let lastLog = 0;
    const load = await pacedLoad(api, {
      rate: RATE,
      seconds: SECONDS,
      maxInFlight: 64,
      onSecond: ({ completed }) => {
        const s = Math.round((now() - start) / 1000);
        if (s - lastLog >= 60) {
          lastLog = s;
          log(`${s}s: ${completed} completed, main file ${fmt(fileBytes(sqliteFile(dataDir)) / MB, 1)} MB`);
        }
      },
    });
    const cpu = cpuDelta(cpu0, cpuSnapshot(server, receiver, { threads: false }));
    const samples = await stopSampler();
    const middle = sampleAt(samples, MIDDLE_SECONDS);
    const end = samples.at(-1); // taken as the load ended
    const mainFile = ratio(end.mainFileBytes, middle.mainFileBytes);
    return {
      meta,
      config: { seconds: SECONDS, middleSeconds: MIDDLE_SECONDS, rate: RATE, retention: RETENTION },
      load,
      middle,
      end,
      ratios: {
        mainFile,
        pagesInUse: ratio(end.pagesInUseBytes, middle.pagesInUseBytes),
        withWal: ratio(end.mainFileBytes + end.walFileBytes, middle.mainFileBytes + middle.walFileBytes),
      },
      target: TARGET,
      pass: mainFile !== undefined && mainFile <= TARGET,
      walMaxBytes: Math.max(0, ...samples.map((s) => s.walFileBytes)),
      rssMaxMb: Math.max(0, ...samples.map((s) => s.rssMb ?? 0)),
      cpu,
      disturbedPhases: otherCores(cpu) > NOISY_CORES ? ["steady load"] : [],
      samples,
      totalSeconds: 0,
    };
  });
  await api.close();
  await stopReceiver(receiver);
  await stopServer(server);
  saveResults("retention.json", results, t0, printReport);
}

runMain(main);
