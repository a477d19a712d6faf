// PostgreSQL scale-out beside SQLite, in one run. See bench/README.md.
//
//   npm run build && node bench/scale-out.mjs
//   BENCH_SCALE_EVENTS=10000 BENCH_SCALE_PROCESSES=1,2,3 node bench/scale-out.mjs
//
// Set-ups, one after another, each with a fresh store and one receiver:
//   - SQLite: one `tidings serve`;
//   - PostgreSQL with 1, 2, 3 `tidings serve --role all` processes on one database, in a schema of their own
//     (`?options=-c search_path=…`, dropped afterwards), sharing TIDINGS_MASTER_KEY and the API key.
// Each: one static webhook; a warm-up; then BENCH_SCALE_EVENTS operations created and completed with the API calls
// spread round-robin over the processes (32 in flight in all) until the receiver has every delivery:
// deliveries/s = events / (first complete sent → last receipt). PostgreSQL with 1 process also runs the paced
// phase (BENCH_RATE/s for BENCH_SECONDS): completion (the API's reply) → receipt p50/p99. Database round trips per
// delivery come from the servers' `tidings_store_round_trips_total` on /metrics (summed over the processes;
// n/a while the server does not count them), over the complete phase. The CPU of the PostgreSQL backends serving
// the run (found by application_name) is reported as "database CPU" instead of as other processes' noise.
import { randomBytes } from "node:crypto";
import { intEnv, now, sleep } from "./lib.mjs";
import {
  ApiClient,
  completeAll,
  completeAllRates,
  createOperations,
  fmt,
  logger,
  metricSum,
  NOISY_CORES,
  otherCores,
  othersLabel,
  pacedCompletes,
  row,
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

const EVENTS = Math.round(intEnv("BENCH_SCALE_EVENTS", 10000));
const WARMUP = Math.round(intEnv("BENCH_SCALE_WARMUP", 300));
const PROCESSES = (process.env.BENCH_SCALE_PROCESSES ?? "1,2,3")
  .split(",")
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const API_CONCURRENCY = Math.round(intEnv("BENCH_API_CONCURRENCY", 32));
const PACED_SECONDS = intEnv("BENCH_SECONDS", 10);
const RATE = intEnv("BENCH_RATE", 200);
const VERIFY_EVERY = Math.round(intEnv("BENCH_VERIFY_EVERY", 100));
const ROUND_TRIPS = "tidings_store_round_trips_total";
const MASTER_KEY = randomBytes(32).toString("base64");

/** The API spread over several processes: each call goes to the next one in turn. */
class SpreadClient {
  constructor(clients) {
    this.clients = clients;
    this.next = 0;
  }

  call(...args) {
    const client = this.clients[this.next];
    this.next = (this.next + 1) % this.clients.length;
    return client.call(...args);
  }

  close() {
    return Promise.all(this.clients.map((c) => c.close()));
  }
}

/**
 * Sum of the round-trip counter over the processes, the delivery engine's alone (claims and outcomes:
 * the issue's target) or all of them (the API's too); undefined when any process does not expose it.
 */
async function roundTrips(servers, label) {
  const values = await Promise.all(servers.map((s) => metricSum(s.url, ROUND_TRIPS, label)));
  return values.includes(undefined) ? undefined : values.reduce((a, b) => a + b, 0);
}

/** One set-up: `count` processes on `database`; the complete phase, and the paced one when `paced`. */
async function measure(log, label, database, count, { paced = false } = {}) {
  const receiver = await startReceiver();
  const schema = database === "postgres" ? await createSchema(`scale${count}`) : undefined;
  const env = schema ? { TIDINGS_DATABASE_URL: schema.url, TIDINGS_MASTER_KEY: MASTER_KEY, TIDINGS_ROLE: "all" } : {};
  const servers = [];
  let api;
  try {
    // One after another: the first creates the tables and the default project, the others find them.
    for (let i = 0; i < count; i++) servers.push(await startServer(tempDir("tidings-bench-scale-"), env));
    log(
      `${label}: ${servers.map((s) => `${s.url} (pid ${s.proc.pid})`).join(", ")}${schema ? `, schema ${schema.name}` : ""}`,
    );
    const group = { proc: servers[0].proc, pids: servers.map((s) => s.proc.pid) };
    api = new SpreadClient(servers.map((s) => new ApiClient(s.url, API_CONCURRENCY)));
    return await withServerOutput(servers[0], async () => {
      const webhook = await api.clients[0].call("POST", "/v1/webhooks", {
        uri: `${receiver.url}/hook`,
        subscribed_events: ["*"],
      });
      await receiver.child.call("reset", {
        phase: "setup",
        secret: webhook.new_signing_secret,
        verifyEvery: VERIFY_EVERY,
      });
      await completeAll(group, receiver, api, await createOperations(api, WARMUP, API_CONCURRENCY), {
        phase: "warm-up",
        concurrency: API_CONCURRENCY,
        verifyEvery: VERIFY_EVERY,
        threads: false,
      });

      const ids = await createOperations(api, EVENTS, API_CONCURRENCY); // not timed
      await sleep(300);
      const trips0 = await roundTrips(servers, 'by="delivery"');
      const allTrips0 = await roundTrips(servers);
      const db0 = schema ? await databaseCpuSnapshot(schema.applicationName) : undefined;
      const { reached, cpu, ...times } = await completeAll(group, receiver, api, ids, {
        phase: label,
        concurrency: API_CONCURRENCY,
        verifyEvery: VERIFY_EVERY,
        threads: false,
      });
      const db1 = schema ? await databaseCpuSnapshot(schema.applicationName) : undefined;
      const trips1 = await roundTrips(servers, 'by="delivery"');
      const allTrips1 = await roundTrips(servers);
      const stats = await receiver.child.call("stats");
      const databaseCpuSeconds = db0 && db1 ? databaseCpuDelta(db0, db1) : undefined;
      if (databaseCpuSeconds !== undefined && cpu.otherProcessesCpuSeconds !== undefined)
        cpu.otherProcessesCpuSeconds = Math.round((cpu.otherProcessesCpuSeconds - databaseCpuSeconds) * 1000) / 1000;
      const result = {
        label,
        database,
        processes: count,
        events: EVENTS,
        ...completeAllRates(EVENTS, times),
        timedOut: reached === undefined,
        received: stats.unique,
        duplicates: stats.duplicates,
        verified: stats.verified,
        verifyFailures: stats.verifyFailureCount,
        serverCpuPerEventUs:
          cpu.serverCpuSeconds !== undefined ? Math.round((cpu.serverCpuSeconds / EVENTS) * 1e6) : undefined,
        serverCores:
          cpu.serverCpuSeconds !== undefined
            ? Math.round((cpu.serverCpuSeconds / cpu.wallSeconds) * 100) / 100
            : undefined,
        databaseCpuSeconds,
        databaseCpuPerEventUs:
          databaseCpuSeconds !== undefined ? Math.round((databaseCpuSeconds / EVENTS) * 1e6) : undefined,
        roundTrips: trips0 !== undefined && trips1 !== undefined ? trips1 - trips0 : undefined,
        roundTripsPerDelivery:
          trips0 !== undefined && trips1 !== undefined
            ? Math.round(((trips1 - trips0) / EVENTS) * 1000) / 1000
            : undefined,
        allRoundTripsPerDelivery:
          allTrips0 !== undefined && allTrips1 !== undefined
            ? Math.round(((allTrips1 - allTrips0) / EVENTS) * 1000) / 1000
            : undefined,
        cpu,
        serverWarnings: servers.reduce((n, s) => n + s.logLines.length, 0),
        serverWarningSamples: servers.flatMap((s) => s.logLines).slice(0, 5),
      };
      log(
        `${label}: ${result.deliveriesPerSecond} deliveries/s, round trips/delivery ${result.roundTripsPerDelivery ?? "n/a"} (engine), ${result.allRoundTripsPerDelivery ?? "n/a"} (all)`,
      );
      if (paced) {
        log(`${label}: paced ${RATE}/s for ${PACED_SECONDS}s`);
        const pacedIds = await createOperations(api, Math.round(RATE * PACED_SECONDS), API_CONCURRENCY);
        await sleep(300);
        const pdb0 = schema ? await databaseCpuSnapshot(schema.applicationName) : undefined;
        result.paced = await pacedCompletes(group, receiver, api, pacedIds, {
          rate: RATE,
          seconds: PACED_SECONDS,
          verifyEvery: VERIFY_EVERY,
        });
        const pdb1 = schema ? await databaseCpuSnapshot(schema.applicationName) : undefined;
        if (pdb0 && pdb1 && result.paced.cpu.otherProcessesCpuSeconds !== undefined) {
          result.paced.databaseCpuSeconds = databaseCpuDelta(pdb0, pdb1);
          result.paced.cpu.otherProcessesCpuSeconds =
            Math.round((result.paced.cpu.otherProcessesCpuSeconds - result.paced.databaseCpuSeconds) * 1000) / 1000;
        }
      }
      return result;
    });
  } finally {
    await api?.close();
    await stopReceiver(receiver);
    await Promise.all(servers.map((s) => stopServer(s)));
    await schema?.drop();
  }
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  const lat = (s) => `${fmt(s.p50, 2)} / ${fmt(s.p99, 2)} / ${fmt(s.max, 2)}`;
  lines.push("");
  lines.push(
    `Tidings scale-out — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` ${fmt(r.config.events)} operations per set-up, API calls spread over the processes (${r.config.apiConcurrency} in flight) → all received`,
  );
  lines.push(
    `  ${"set-up".padEnd(46)} ${"deliveries/s".padStart(24)}   server cores · CPU/event (server + database) · round trips/delivery (engine, all) · noise`,
  );
  for (const s of r.setups) {
    const db = s.databaseCpuPerEventUs !== undefined ? ` + ${fmt(s.databaseCpuPerEventUs)}` : "";
    add(
      `${s.label} (${s.seconds ?? "n/a"} s)`,
      `${fmt(s.deliveriesPerSecond)} /s`,
      `${fmt(s.serverCores, 2)} · ${fmt(s.serverCpuPerEventUs)}${db} µs · ${s.roundTripsPerDelivery ?? "n/a"}, ${s.allRoundTripsPerDelivery ?? "n/a"} · ${othersLabel(s.cpu)}${s.timedOut ? " · TIMED OUT" : ""}`,
    );
  }
  const p = r.setups.find((s) => s.paced)?.paced;
  if (p)
    add(
      `PostgreSQL 1 process, paced ${p.rate}/s ${p.seconds}s: replied → receipt p50/p99/max`,
      `${lat(p.completionRepliedToReceiptMs)} ms`,
      `missing ${p.missing} · ${othersLabel(p.cpu)}`,
    );
  add("PostgreSQL 1 process ÷ SQLite", `${fmt(r.ratios.postgres1OverSqlite, 2)} ×`, "target ≥ 0.7");
  add("PostgreSQL 3 processes ÷ 1 process", `${fmt(r.ratios.postgres3OverPostgres1, 2)} ×`, "target ≥ 1.0 on 2 cores");
  add(
    "round trips per delivery (the engine's), 3 processes",
    r.roundTripsPerDelivery3 === undefined ? `n/a` : `${fmt(r.roundTripsPerDelivery3, 3)}`,
    r.roundTripsPerDelivery3 === undefined ? `needs ${ROUND_TRIPS} on /metrics` : "target ≤ 0.2",
  );
  const sig = r.setups.reduce((a, s) => ({ ok: a.ok + s.verified, bad: a.bad + s.verifyFailures }), { ok: 0, bad: 0 });
  add("signatures verified (sample)", `${sig.ok} ok, ${sig.bad} bad`);
  for (const s of r.setups) {
    if (s.duplicates > 0) lines.push(`  ! ${s.label}: ${s.duplicates} duplicate deliveries`);
    if (s.serverWarnings > 0)
      lines.push(
        `  ! ${s.label}: ${s.serverWarnings} server log lines at warn or above, e.g. ${s.serverWarningSamples[0]?.slice(0, 200)}`,
      );
  }
  warnDisturbed(lines, r.disturbedPhases);
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("scale", t0);
  const meta = runMeta();
  const config = {
    events: EVENTS,
    warmup: WARMUP,
    processes: PROCESSES,
    apiConcurrency: API_CONCURRENCY,
    pacedSeconds: PACED_SECONDS,
    rate: RATE,
  };
  const setups = [await measure(log, "SQLite, 1 process", "sqlite", 1)];
  for (const count of PROCESSES)
    setups.push(
      await measure(log, `PostgreSQL, ${count} process${count > 1 ? "es" : ""}`, "postgres", count, {
        paced: count === 1,
      }),
    );
  const rate = (database, count) =>
    setups.find((s) => s.database === database && s.processes === count)?.deliveriesPerSecond;
  const ratio = (a, b) => (a !== undefined && b ? Math.round((a / b) * 1000) / 1000 : undefined);
  const pg3 = setups.find((s) => s.database === "postgres" && s.processes === 3);
  const paced = setups.find((s) => s.paced)?.paced;
  const results = {
    meta,
    config,
    setups,
    ratios: {
      postgres1OverSqlite: ratio(rate("postgres", 1), rate("sqlite", 1)),
      postgres3OverPostgres1: ratio(rate("postgres", 3), rate("postgres", 1)),
    },
    roundTripsPerDelivery3: pg3?.roundTripsPerDelivery,
    postgresPaced: paced
      ? {
          p50Ms: paced.completionRepliedToReceiptMs.p50,
          p99Ms: paced.completionRepliedToReceiptMs.p99,
          missing: paced.missing,
        }
      : undefined,
    disturbedPhases: [
      ...setups.filter((s) => otherCores(s.cpu) > NOISY_CORES).map((s) => s.label),
      ...(paced && otherCores(paced.cpu) > NOISY_CORES ? ["PostgreSQL paced"] : []),
    ],
    totalSeconds: 0,
  };
  saveResults("scale-out.json", results, t0, printReport);
}

runMain(main);
