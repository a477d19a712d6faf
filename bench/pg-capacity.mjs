// PostgreSQL capacity on paper: what one delivery costs the database, and what one server would sustain. See
// bench/README.md.
//
//   npm run bench:pg-capacity
//   BENCH_PGCAP_EVENTS=5000 BENCH_PGCAP_SETTLE_S=5 node bench/pg-capacity.mjs
//
// A PostgreSQL instance of the bench's own (bench/pg-instance.mjs: pg_stat_statements preloaded, default settings
// otherwise), so that every process of it serves this run; BENCH_PG_URL=… with BENCH_PGCAP_OWN=0 uses another
// server instead (a schema of its own; pg_stat_statements if it is loaded there, else the servers' round-trip
// counter; the CPU of the backends serving the run only). BENCH_PGCAP_PROCESSES (3) `tidings serve --role all`
// processes, one static webhook, the receiver. Two phases, each measured alone:
//   - create: BENCH_PGCAP_EVENTS (10,000) custom operations created (32 in flight, spread over the processes);
//   - deliver: all of them completed, until the receiver has every delivery.
// Per phase and per operation: the instance's CPU (utime + stime from /proc of the postmaster, its reaped children and
// its live ones: client backends and background processes apart), WAL bytes (pg_current_wal_lsn before and after),
// statements (pg_stat_statements calls, the bench's own queries left out) and commits (pg_stat_database). Then
// pg_stat_user_tables: dead tuples, HOT updates, autovacuum runs, at the end and BENCH_PGCAP_SETTLE_S (70) s later
// (autovacuum_naptime is 60 s). The projection for 16 and 64 cores: BENCH_PGCAP_USABLE (0.7) of the cores at work
// on these statements alone, CPU-bound, the per-operation CPU as measured here; the WAL rate it implies beside it.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { forEachConcurrent, intEnv, now, sleep } from "./lib.mjs";
import {
  ApiClient,
  completeAll,
  fmt,
  logger,
  metricSum,
  row,
  runMain,
  runMeta,
  saveResults,
  startReceiver,
  startServer,
  stopReceiver,
  stopServer,
  tempDir,
  withServerOutput,
} from "./harness.mjs";
import { instanceCpu, startInstance } from "./pg-instance.mjs";
import { createSchema, databaseCpuDelta, databaseCpuSnapshot } from "./postgres.mjs";

const EVENTS = Math.round(intEnv("BENCH_PGCAP_EVENTS", 10000));
const PROCESSES = Math.round(intEnv("BENCH_PGCAP_PROCESSES", 3));
const API_CONCURRENCY = Math.round(intEnv("BENCH_API_CONCURRENCY", 32));
const SETTLE_SECONDS = Number(process.env.BENCH_PGCAP_SETTLE_S ?? 70);
const USABLE = intEnv("BENCH_PGCAP_USABLE", 0.7);
const OWN = process.env.BENCH_PGCAP_OWN !== "0";
const CORES = [16, 64];
const MASTER_KEY = randomBytes(32).toString("base64");
// The bench's own statements, left out of the counts.
const OURS = "query NOT ILIKE '%pg_stat%' AND query NOT ILIKE '%pg_current_wal_lsn%'";

/** The database to measure: our own instance, or a schema on BENCH_PG_URL. */
async function database(log) {
  if (OWN) {
    const instance = await startInstance(log);
    const admin = new pg.Client({ connectionString: instance.url });
    await admin.connect();
    await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    return {
      url: instance.url,
      admin,
      statements: true,
      cpu: () => instanceCpu(instance.pid),
      async stop() {
        await admin.end();
        await instance.stop();
      },
    };
  }
  const schema = await createSchema("pgcap");
  const admin = new pg.Client({ connectionString: schema.url });
  await admin.connect();
  const statements = await admin
    .query("SELECT 1 FROM pg_stat_statements LIMIT 1")
    .then(() => true)
    .catch(() => false);
  log(`schema ${schema.name} on ${schema.url}; pg_stat_statements ${statements ? "loaded" : "not loaded"}`);
  return {
    url: schema.url,
    admin,
    statements,
    cpu: async () => databaseCpuSnapshot(schema.applicationName),
    cpuDelta: databaseCpuDelta,
    async stop() {
      await admin.end();
      await schema.drop();
    },
  };
}

/** What the database has done so far: CPU, WAL position, commits, and (when we can) statements. */
async function snapshot(db, servers) {
  const cpu = await db.cpu();
  const { rows } = await db.admin.query(
    "SELECT pg_current_wal_lsn()::text AS lsn, (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::float8 AS commits",
  );
  const roundTrips = (
    await Promise.all(servers.map((s) => metricSum(s.url, "tidings_store_round_trips_total")))
  ).reduce((a, b) => a + (b ?? 0), 0);
  return { at: now(), cpu, lsn: rows[0].lsn, commits: rows[0].commits, roundTrips };
}

async function measurePhase(db, servers, label, count, work) {
  if (db.statements) await db.admin.query("SELECT pg_stat_statements_reset()");
  const a = await snapshot(db, servers);
  await work();
  const b = await snapshot(db, servers);
  const [{ bytes }] = (
    await db.admin.query("SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::float8 AS bytes", [b.lsn, a.lsn])
  ).rows;
  let statements;
  let top;
  if (db.statements) {
    const { rows } = await db.admin.query(
      `SELECT query, calls::float8 AS calls, total_exec_time AS ms FROM pg_stat_statements WHERE ${OURS} ORDER BY total_exec_time DESC`,
    );
    statements = rows.reduce((n, r) => n + r.calls, 0);
    top = rows.slice(0, 8).map((r) => ({
      query: r.query.replace(/\s+/g, " ").slice(0, 140),
      callsPerOperation: Math.round((r.calls / count) * 1000) / 1000,
      execUsPerOperation: Math.round((r.ms / count) * 1000 * 10) / 10,
    }));
  }
  const cpu =
    db.cpuDelta !== undefined
      ? { all: db.cpuDelta(a.cpu, b.cpu) }
      : {
          all: b.cpu.all - a.cpu.all,
          backends: b.cpu.backends - a.cpu.backends,
          background: b.cpu.background - a.cpu.background,
        };
  const per = (x) => (x === undefined ? undefined : x / count);
  return {
    label,
    operations: count,
    seconds: Math.round(b.at - a.at) / 1000,
    operationsPerSecond: Math.round((count / (b.at - a.at)) * 1000),
    databaseCpuSeconds: Math.round(cpu.all * 1000) / 1000,
    databaseCpuUsPerOperation: Math.round(per(cpu.all) * 1e6),
    backendCpuUsPerOperation: cpu.backends !== undefined ? Math.round(per(cpu.backends) * 1e6) : undefined,
    backgroundCpuUsPerOperation: cpu.background !== undefined ? Math.round(per(cpu.background) * 1e6) : undefined,
    databaseCores: Math.round((cpu.all / ((b.at - a.at) / 1000)) * 100) / 100,
    walBytesPerOperation: Math.round(per(bytes)),
    statementsPerOperation: statements !== undefined ? Math.round(per(statements) * 1000) / 1000 : undefined,
    roundTripsPerOperation: Math.round(per(b.roundTrips - a.roundTrips) * 1000) / 1000,
    commitsPerOperation: Math.round(per(b.commits - a.commits) * 1000) / 1000,
    topStatements: top,
  };
}

async function tableStats(admin) {
  const { rows } = await admin.query(
    `SELECT relname, n_live_tup::float8 AS live, n_dead_tup::float8 AS dead, n_tup_ins::float8 AS ins,
            n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot, n_tup_del::float8 AS del,
            autovacuum_count::float8 AS autovacuums, autoanalyze_count::float8 AS autoanalyzes,
            last_autovacuum::text AS last_autovacuum
       FROM pg_stat_user_tables WHERE schemaname = current_schema() AND (n_tup_ins + n_tup_upd + n_tup_del) > 0
      ORDER BY n_tup_upd + n_tup_ins + n_tup_del DESC`,
  );
  return rows;
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  lines.push("");
  lines.push(
    `Tidings PostgreSQL capacity — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` ${fmt(r.config.events)} operations, ${r.config.processes} processes, ${r.config.ownInstance ? "PostgreSQL of the bench's own" : "BENCH_PG_URL"} (${r.postgresVersion})`,
  );
  lines.push(`  ${"per operation".padEnd(46)} ${"create · deliver · both".padStart(24)}`);
  const three = (k, digits = 0) =>
    `${fmt(r.create[k], digits)} · ${fmt(r.deliver[k], digits)} · ${fmt(r.perOperation[k], digits)}`;
  add("database CPU (µs)", three("databaseCpuUsPerOperation"), `backends ${three("backendCpuUsPerOperation")}`);
  add("WAL (bytes)", three("walBytesPerOperation"));
  add("statements (pg_stat_statements)", three("statementsPerOperation", 2), "");
  add("round trips (the servers' counter)", three("roundTripsPerOperation", 2));
  add("commits", three("commitsPerOperation", 2));
  add(
    "rate measured (operations/s)",
    `${fmt(r.create.operationsPerSecond)} · ${fmt(r.deliver.operationsPerSecond)}`,
    `database ${fmt(r.create.databaseCores, 2)} · ${fmt(r.deliver.databaseCores, 2)} cores`,
  );
  for (const p of r.projection)
    add(
      `one PostgreSQL, ${p.cores} cores (${Math.round(r.config.usable * 100)} % usable)`,
      `${fmt(p.operationsPerSecond)} /s`,
      `WAL ${fmt(p.walMBPerSecond, 1)} MB/s, ${fmt(p.commitsPerSecond)} commits/s`,
    );
  lines.push("  hot tables after the run (→ after settling): dead tuples, HOT share of updates, autovacuums");
  for (const t of r.tables.end.slice(0, 6)) {
    const later = r.tables.settled?.find((x) => x.relname === t.relname);
    lines.push(
      `    ${t.relname.padEnd(28)} dead ${fmt(t.dead)}${later ? ` → ${fmt(later.dead)}` : ""} of ${fmt(t.live)} live · HOT ${t.upd > 0 ? `${Math.round((t.hot / t.upd) * 100)} %` : "n/a"} of ${fmt(t.upd)} updates · autovacuum ${t.autovacuums}${later ? ` → ${later.autovacuums}` : ""}`,
    );
  }
  lines.push("  top statements (deliver phase, by execution time): calls and exec µs per operation");
  for (const s of r.deliver.topStatements ?? [])
    lines.push(
      `    ${fmt(s.callsPerOperation, 2).padStart(6)} × ${fmt(s.execUsPerOperation, 1).padStart(7)} µs  ${s.query}`,
    );
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("pg-capacity", t0);
  const meta = runMeta();
  const db = await database(log);
  const receiver = await startReceiver();
  const env = { TIDINGS_DATABASE_URL: db.url, TIDINGS_MASTER_KEY: MASTER_KEY, TIDINGS_ROLE: "all" };
  const servers = [];
  let clients = [];
  try {
    for (let i = 0; i < PROCESSES; i++) servers.push(await startServer(tempDir("tidings-bench-pgcap-"), env));
    log(servers.map((s) => `${s.url} (pid ${s.proc.pid})`).join(", "));
    clients = servers.map((s) => new ApiClient(s.url, API_CONCURRENCY));
    let n = 0;
    const api = { call: (...args) => clients[n++ % clients.length].call(...args) };
    const group = { proc: servers[0].proc, pids: servers.map((s) => s.proc.pid) };
    const results = await withServerOutput(servers[0], async () => {
      const webhook = await clients[0].call("POST", "/v1/webhooks", {
        uri: `${receiver.url}/hook`,
        subscribed_events: ["*"],
      });
      await receiver.child.call("reset", { phase: "setup", secret: webhook.new_signing_secret, verifyEvery: 1000 });
      // A warm-up, so that the statements are prepared and the caches filled.
      const warm = [];
      await forEachConcurrent(Array.from({ length: 300 }), API_CONCURRENCY, async (_, i) => {
        warm[i] = (await api.call("POST", "/v1/operations", { type: "bench" })).name.slice("operations/".length);
      });
      await completeAll(group, receiver, api, warm, { phase: "warm-up", concurrency: API_CONCURRENCY, threads: false });
      await sleep(500);
      const ids = new Array(EVENTS);
      const create = await measurePhase(db, servers, "create", EVENTS, () =>
        forEachConcurrent(ids, API_CONCURRENCY, async (_, i) => {
          ids[i] = (await api.call("POST", "/v1/operations", { type: "bench" })).name.slice("operations/".length);
        }),
      );
      log(`create: ${create.operationsPerSecond}/s, ${create.databaseCpuUsPerOperation} µs database CPU each`);
      await sleep(500);
      let reached;
      const deliver = await measurePhase(db, servers, "deliver", EVENTS, async () => {
        ({ reached } = await completeAll(group, receiver, api, ids, {
          phase: "deliver",
          concurrency: API_CONCURRENCY,
          verifyEvery: 1000,
          threads: false,
        }));
      });
      log(`deliver: ${deliver.operationsPerSecond}/s, ${deliver.databaseCpuUsPerOperation} µs database CPU each`);
      const sum = (k) =>
        create[k] === undefined || deliver[k] === undefined
          ? undefined
          : Math.round((create[k] + deliver[k]) * 1000) / 1000;
      const perOperation = Object.fromEntries(
        [
          "databaseCpuUsPerOperation",
          "backendCpuUsPerOperation",
          "backgroundCpuUsPerOperation",
          "walBytesPerOperation",
          "statementsPerOperation",
          "roundTripsPerOperation",
          "commitsPerOperation",
        ].map((k) => [k, sum(k)]),
      );
      const projection = CORES.map((cores) => {
        const rate = (cores * USABLE) / (perOperation.databaseCpuUsPerOperation / 1e6);
        return {
          cores,
          operationsPerSecond: Math.round(rate),
          walMBPerSecond: Math.round(((rate * perOperation.walBytesPerOperation) / 1e6) * 10) / 10,
          commitsPerSecond: Math.round(rate * perOperation.commitsPerOperation),
        };
      });
      const end = await tableStats(db.admin);
      let settled;
      if (SETTLE_SECONDS > 0) {
        log(`waiting ${SETTLE_SECONDS}s for autovacuum`);
        await sleep(SETTLE_SECONDS * 1000);
        settled = await tableStats(db.admin);
      }
      const version = (await db.admin.query("SHOW server_version")).rows[0].server_version;
      const stats = await receiver.child.call("stats");
      return {
        meta,
        config: {
          events: EVENTS,
          processes: PROCESSES,
          apiConcurrency: API_CONCURRENCY,
          usable: USABLE,
          ownInstance: OWN,
          settleSeconds: SETTLE_SECONDS,
        },
        postgresVersion: version,
        create,
        deliver,
        timedOut: reached === undefined,
        received: stats.unique,
        duplicates: stats.duplicates,
        perOperation,
        projection,
        tables: { end, settled },
        totalSeconds: 0,
      };
    });
    saveResults("pg-capacity.json", results, t0, printReport);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await stopReceiver(receiver);
    await Promise.all(servers.map((s) => stopServer(s)));
    await db.stop();
  }
}

runMain(main);
