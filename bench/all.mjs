// `npm run bench`: every benchmark script in sequence, then one table of the performance targets (issue 11):
// measure | now | target | PASS/MISS | noise, from the results files this run wrote (bench/results/*.json), plus the
// rows of the long benches from their last run (too long for this one; its date is shown): `npm run bench:backlog`
// and `npm run bench:bounded` (wal, retention, failover, pg-capacity).
//
//   npm run bench                       (builds first)
//   node bench/all.mjs --summary        (prints the table again from the results files, runs nothing)
//
// A script that fails does not stop the others; its rows read "not run". Results: bench/results/summary.json.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { BENCH_DIR, fmt, NOISY_CORES, otherCores, RESULTS_DIR, ROOT } from "./harness.mjs";
import { now } from "./lib.mjs";

const BUDGET_SECONDS = 360;
const SCRIPTS = [
  ["run.mjs", "latest.json"],
  ["dynamic.mjs", "dynamic.json"],
  ["batch.mjs", "batch.json"],
  ["dead-endpoints.mjs", "dead-endpoints.json"],
  ["scale-out.mjs", "scale-out.json"],
  ["sender.mjs", "sender.json"],
  ["store-counts.mjs", "store-counts.json"],
  ["../packages/sdk/bench/verify.bench.mjs", undefined],
];

function runScript(file) {
  return new Promise((resolve) => {
    const started = now();
    const proc = spawn(process.execPath, [join(BENCH_DIR, file)], { cwd: ROOT, stdio: "inherit" });
    proc.once("exit", (code, signal) =>
      resolve({ script: file, exitCode: code, signal, seconds: Math.round(now() - started) / 1000 }),
    );
  });
}

/** A results file, if it exists and (with `since`) was started at or after `since` (ISO time). */
function load(fileName, since) {
  const file = join(RESULTS_DIR, fileName);
  if (!existsSync(file)) return undefined;
  const results = JSON.parse(readFileSync(file, "utf8"));
  if (since !== undefined && !(results.meta?.startedAt >= since)) return undefined;
  return results;
}

// ---------------------------------------------------------------------------------------------- the rows
const r2 = (x) => fmt(x, 2);
const ms = (x) => `${fmt(x, 1)} ms`;
/** The busiest "others" (cores used by other processes) over a row's phases. */
const noiseOf = (...cpus) => {
  const cores = cpus.map(otherCores).filter((x) => x !== undefined);
  return cores.length === 0 ? undefined : Math.max(...cores);
};

/**
 * The table's rows from the results of one run: { measure, now, target, ok (true/false; undefined = not measured),
 * noise }.
 * `needs` (for a row the server cannot be measured on yet) says what it lacks.
 */
export function targetRows({
  run,
  dynamic,
  batch,
  dead,
  scale,
  sender,
  counts,
  backlog,
  wal,
  retention,
  failover,
  pgCapacity,
}) {
  const rows = [];
  const add = (measure, target, fill) => {
    try {
      rows.push({ measure, target, ...fill() });
    } catch {
      rows.push({ measure, target, now: "not run", ok: undefined });
    }
  };
  const need = (x) => {
    if (x === undefined || x === null || Number.isNaN(x)) throw new Error("missing");
    return x;
  };
  /** A row shown for comparison, with no target of its own. */
  const show = (measure, fill) => add(measure, "none (shown)", () => ({ ...fill(), ok: undefined, info: true }));

  add("end-to-end deliveries/s ÷ the relay's", "≥ 0.75", () => ({
    now: `${r2(need(run.relayShare))} (${fmt(run.endToEnd.deliveriesPerSecond)} vs ${fmt(run.relay.endToEnd.deliveriesPerSecond)}/s)`,
    ok: run.checks.relayShare,
    noise: noiseOf(run.endToEnd.cpu, run.relay.endToEnd.cpu),
  }));
  add("end-to-end deliveries/s ÷ a BullMQ dispatcher (Redis AOF)", "≥ 1.5", () => ({
    now: `${r2(need(run.bullmqRatio))} (${fmt(run.endToEnd.deliveriesPerSecond)} vs ${fmt(run.bullmq.endToEnd.deliveriesPerSecond)}/s)`,
    ok: run.checks.bullmq,
    noise: noiseOf(run.endToEnd.cpu, run.bullmq.endToEnd.cpu),
  }));
  show("end-to-end deliveries/s ÷ the durable floor's (same run)", () => ({
    now: `${r2(need(run.floorShare))} (${fmt(run.endToEnd.deliveriesPerSecond)} vs ${fmt(run.floor.endToEnd.deliveriesPerSecond)}/s)`,
    noise: noiseOf(run.endToEnd.cpu, run.floor.endToEnd.cpu),
  }));
  add(`complete sent → receipt p99, paced 200/s, worst of ${run?.pacedRuns?.length ?? 3}`, "≤ 25 ms", () => ({
    now: `${ms(need(run.pacedWorst.sentToReceiptP99Ms))} (${run.pacedRuns.map((p) => fmt(p.completionSentToReceiptMs.p99, 1)).join(", ")})`,
    ok: run.pacedWorst.sentToReceiptP99Ms <= 25 && run.pacedWorst.missing === 0 && !run.pacedWorst.apiFailures,
    noise: noiseOf(...run.pacedRuns.map((p) => p.cpu)),
  }));
  // Ratios of the same round, their median (bench/README.md: rounds); the µs are each peer's median round.
  add("server CPU per event ÷ the relay's", "≤ 1.5", () => {
    const ratio = need(run.relayCpuRatio);
    return {
      now: `${r2(ratio)} (${fmt(run.cpuPerEventUs.tidings)} vs ${fmt(run.cpuPerEventUs.relay)} µs)`,
      ok: ratio <= 1.5,
      noise: noiseOf(run.endToEnd.cpu, run.relay.endToEnd.cpu),
    };
  });
  add("server CPU per event ÷ the durable floor's (same run)", "≤ 1.3", () => {
    const ratio = need(run.floorCpuRatio);
    return {
      now: `${r2(ratio)} (${fmt(run.cpuPerEventUs.tidings)} vs ${fmt(run.cpuPerEventUs.floor)} µs)`,
      ok: run.checks.floorCpu,
      noise: noiseOf(run.endToEnd.cpu, run.floor.endToEnd.cpu),
    };
  });
  add("bytes written to storage per delivered event; the floor's", "≤ 12,000", () => {
    const { writes } = run.endToEnd;
    const floorWrites = run.floor?.endToEnd.writes;
    return {
      now: `${fmt(need(writes?.perEvent))} B (${writes.source})${floorWrites ? `; floor ${fmt(floorWrites.perEvent)} B` : ""}`,
      ok: writes.perEvent <= 12_000,
      noise: noiseOf(run.endToEnd.cpu),
    };
  });
  const counted = (key, digits) => () =>
    `${fmt(need(counts.tidings[key]), digits)}; floor ${fmt(counts.floor[key], digits)} (store-counts)`;
  add("store statements per event", "≤ 4", () => ({
    now: counted("statements", 2)(),
    ok: counts.tidings.statements <= 4,
  }));
  add("index entries written per event", "≤ 6", () => ({
    now: counted("entries", 2)(),
    ok: counts.tidings.entries <= 6,
  }));
  add("bytes at rest per event", "≤ 600", () => ({
    now: counted("bytesAtRest", 0)(),
    ok: counts.tidings.bytesAtRest <= 600,
  }));
  show("WAL bytes per event", () => ({ now: counted("walBytes", 0)() }));
  add("completion → receipt at 200/s (replied → received), worst run", "p50 ≤ 5, p99 ≤ 25 ms", () => ({
    now: `p50 ${fmt(need(run.pacedWorst.repliedToReceiptP50Ms), 2)}, p99 ${fmt(run.pacedWorst.repliedToReceiptP99Ms, 2)} ms`,
    ok:
      run.pacedWorst.repliedToReceiptP50Ms <= 5 &&
      run.pacedWorst.repliedToReceiptP99Ms <= 25 &&
      run.pacedWorst.missing === 0 &&
      !run.pacedWorst.apiFailures,
    noise: noiseOf(...run.pacedRuns.map((p) => p.cpu)),
  }));
  for (const [driver, name] of [
    ["sqlite", "SQLite"],
    ["postgres", "PostgreSQL"],
  ]) {
    const size = backlog?.config.large;
    const sizeLabel =
      size === undefined
        ? "1M"
        : size >= 1_000_000 && size % 1_000_000 === 0
          ? `${size / 1_000_000}M`
          : `${fmt(size / 1000)}k`;
    add(
      `drain rate, ${sizeLabel} pending ÷ ${fmt((backlog?.config.small ?? 5000) / 1000)}k pending, ${name}; RSS`,
      "≥ 0.9; RSS ≤ 300 MB",
      () => {
        const v = need(backlog.byDriver[driver]);
        const large = backlog.drains.find((d) => d.driver === driver && d.size === backlog.config.large);
        const small = backlog.drains.find((d) => d.driver === driver && d.size === backlog.config.small);
        return {
          now: `${r2(need(v.ratio))} (${fmt(v.largePerSecond)} vs ${fmt(v.smallPerSecond)}/s${v.largeCut ? ", cut" : ""}), RSS ${v.rssMaxMb} MB, in flight ${Math.max(large.maxInFlight, small.maxInFlight)}/${v.perEndpointConcurrency}`,
          ok: v.pass,
          noise: noiseOf(large.cpu, small.cpu),
          note: `bench:backlog ${backlog.meta.startedAt.slice(0, 16).replace("T", " ")}`,
        };
      },
    );
  }
  const lastRun = (script, results) => `${script} ${results.meta.startedAt.slice(0, 16).replace("T", " ")}`;
  add(
    `SQLite WAL max, ${fmt((wal?.config.seconds ?? 600) / 60, 1)} min at the highest sustained rate`,
    "≤ 128 MB",
    () => ({
      now: `${fmt(need(wal.walFileMaxBytes) / 1024 / 1024, 1)} MB at ${fmt(wal.hold.achievedCompletesPerSecond)}/s, ${wal.restarts.count} restarts, mean ${fmt(wal.restarts.meanMs, 1)} ms`,
      ok: wal.pass,
      noise: noiseOf(wal.cpu),
      note: lastRun("bench:wal", wal),
    }),
  );
  add(
    `database size, ${fmt((retention?.config.seconds ?? 600) / 60, 1)} min ÷ ${fmt((retention?.config.middleSeconds ?? 300) / 60, 1)} min at ${fmt(retention?.config.rate ?? 100)}/s, retention ${retention?.config.retention ?? "2m"}`,
    "≤ 1.2",
    () => ({
      now: `${r2(need(retention.ratios.mainFile))} (${fmt(retention.end.mainFileBytes / 1024 / 1024, 1)} vs ${fmt(retention.middle.mainFileBytes / 1024 / 1024, 1)} MB main file)`,
      ok: retention.pass,
      noise: noiseOf(retention.cpu),
      note: lastRun("bench:retention", retention),
    }),
  );
  add("PostgreSQL: last delivery a SIGKILLed process held, after the kill", "≤ 30 s", () => ({
    now: `${fmt(need(failover.held.lastAfterKillSeconds), 1)} s (${fmt(failover.held.count)} held), ${failover.duplicates} dup`,
    ok: failover.pass,
    note: lastRun("bench:failover", failover),
  }));
  add("PostgreSQL capacity on paper, one server of 16 / 64 cores", "(on paper)", () => ({
    now: `${fmt(need(pgCapacity.projection[0].operationsPerSecond))} / ${fmt(pgCapacity.projection[1].operationsPerSecond)} ops/s (${fmt(pgCapacity.perOperation.databaseCpuUsPerOperation)} µs, ${fmt(pgCapacity.perOperation.walBytesPerOperation)} B WAL each)`,
    ok: undefined,
    note: lastRun("bench:pg-capacity", pgCapacity),
  }));
  add("sender CPU per request ÷ a bare undici Pool", "≤ 1.2", () => ({
    now: `${r2(need(sender.ratio))} (${fmt(sender.median.senderCpuUsPerRequest, 1)} vs ${fmt(sender.median.bareCpuUsPerRequest, 1)} µs)`,
    ok: sender.pass,
    noise: sender.maxOtherCores,
  }));
  add("healthy throughput, 10 % black holes ÷ all healthy (100 endpoints)", "≥ 0.9, no duplicates", () => ({
    now: `${r2(need(dead.ratio))} (${fmt(dead.withBlackHoles.healthyDeliveriesPerSecond)} vs ${fmt(dead.healthy.healthyDeliveriesPerSecond)}/s${dead.withBlackHoles.timedOut ? ", cut" : ""}), ${dead.duplicates} dup`,
    ok: dead.pass,
    noise: noiseOf(dead.healthy.cpu, dead.withBlackHoles.cpu),
  }));
  add(`longest event-loop block, ${fmt(batch?.config.lines ?? 10000)}-line batch (GET /healthz)`, "≤ 20 ms", () => ({
    now: ms(need(batch.batch.responsiveness?.roundTripMs.max)),
    ok: batch.batch.responsiveness.roundTripMs.max <= 20,
    noise: noiseOf(batch.batch.cpu),
  }));
  add("dynamic − static CPU per event ÷ one RS256 signature", "≤ 1.2", () => ({
    now: `${r2(need(dynamic.dynamicOverheadInSignatures))} (${fmt(dynamic.dynamicMinusStaticCpuPerEventUs)} µs vs ${fmt(dynamic.signatureCostUs.RS256.cpuUs)} µs)`,
    ok: dynamic.dynamicOverheadInSignatures <= 1.2,
    noise: noiseOf(...dynamic.phases.map((p) => p.cpu)),
  }));
  add("dynamic deliveries/s with EdDSA ÷ static", "≥ 0.8", () => {
    const eddsa = need(dynamic.others.EdDSA);
    if (!eddsa.supported)
      return {
        now: "n/a (needs TIDINGS_JWT_ALG=EdDSA)",
        ok: undefined,
        needs: "TIDINGS_JWT_ALG=EdDSA (an EdDSA key in the JWKS)",
      };
    return {
      now: `${r2(need(eddsa.ratio))} (${fmt(eddsa.median.dynamic.deliveriesPerSecond)} vs ${fmt(eddsa.median.static.deliveriesPerSecond)}/s)`,
      ok: eddsa.ratio >= 0.8,
      noise: noiseOf(...eddsa.phases.map((p) => p.cpu)),
    };
  });
  const setup = (database, count) => scale?.setups.find((s) => s.database === database && s.processes === count);
  add("PostgreSQL 1 process ÷ SQLite, deliveries/s", "≥ 0.7", () => ({
    now: `${r2(need(scale.ratios.postgres1OverSqlite))} (${fmt(setup("postgres", 1).deliveriesPerSecond)} vs ${fmt(setup("sqlite", 1).deliveriesPerSecond)}/s)`,
    ok: scale.ratios.postgres1OverSqlite >= 0.7,
    noise: noiseOf(setup("postgres", 1).cpu, setup("sqlite", 1).cpu),
  }));
  add("PostgreSQL completion → receipt, paced 200/s", "p50 ≤ 5, p99 ≤ 25 ms", () => ({
    now: `p50 ${fmt(need(scale.postgresPaced.p50Ms), 2)}, p99 ${fmt(scale.postgresPaced.p99Ms, 2)} ms`,
    ok: scale.postgresPaced.p50Ms <= 5 && scale.postgresPaced.p99Ms <= 25 && scale.postgresPaced.missing === 0,
    noise: noiseOf(setup("postgres", 1).paced.cpu),
  }));
  add("PostgreSQL round trips per delivery (3 processes)", "≤ 0.2", () => {
    need(setup("postgres", 3));
    if (scale.roundTripsPerDelivery3 === undefined)
      return {
        now: "n/a (needs tidings_store_round_trips_total)",
        ok: undefined,
        needs: "tidings_store_round_trips_total on /metrics",
      };
    return {
      now: fmt(scale.roundTripsPerDelivery3, 3),
      ok: scale.roundTripsPerDelivery3 <= 0.2,
      noise: noiseOf(setup("postgres", 3).cpu),
    };
  });
  // Two shared cores cannot show scale-out, so issue 16 dropped this target for the capacity on paper (pg-capacity).
  show("PostgreSQL 3 processes ÷ 1 process, deliveries/s", () => ({
    now: `${r2(need(scale.ratios.postgres3OverPostgres1))} (${fmt(setup("postgres", 3).deliveriesPerSecond)} vs ${fmt(setup("postgres", 1).deliveriesPerSecond)}/s)`,
    noise: noiseOf(setup("postgres", 3).cpu, setup("postgres", 1).cpu),
  }));
  return rows;
}

function printTable(rows, header) {
  const widths = [68, 52, 22, 5];
  const line = (cells) =>
    `  ${cells[0].padEnd(widths[0])} ${cells[1].padEnd(widths[1])} ${cells[2].padEnd(widths[2])} ${cells[3].padEnd(widths[3])} ${cells[4] ?? ""}`.trimEnd();
  const out = [
    "",
    header,
    line(["measure", "now", "target", "", "noise (others, cores)"]),
    line(["-".repeat(widths[0]), "-".repeat(widths[1]), "-".repeat(widths[2]), "-----", "-----"]),
  ];
  for (const r of rows) {
    const verdict = r.ok === undefined ? "" : r.ok ? "PASS" : "MISS";
    const noise = r.noise === undefined ? "" : `${fmt(r.noise, 2)}${r.noise > NOISY_CORES ? " !" : ""}`;
    out.push(line([r.measure, r.now, r.target, verdict, [noise, r.note].filter(Boolean).join("  ")]));
  }
  const judged = rows.filter((r) => r.ok !== undefined);
  const shown = rows.filter((r) => r.info && r.now !== "not run").length;
  out.push(
    `  ${judged.filter((r) => r.ok).length} PASS, ${judged.filter((r) => !r.ok).length} MISS, ${rows.length - judged.length - shown} n/a or not run, ${shown} shown without a target; "!" marks rows measured while other processes used > ${NOISY_CORES} cores`,
  );
  const needs = rows.filter((r) => r.needs).map((r) => r.needs);
  if (needs.length > 0) out.push(`  n/a rows need: ${needs.join("; ")}`);
  console.log(out.join("\n"));
}

async function main() {
  const summaryOnly = process.argv.includes("--summary");
  const startedAt = new Date().toISOString();
  const t0 = now();
  const runs = [];
  if (!summaryOnly) {
    for (const [script] of SCRIPTS) {
      process.stderr.write(`\n=== ${relative(ROOT, join(BENCH_DIR, script))} ===\n`);
      runs.push(await runScript(script));
    }
  }
  const since = summaryOnly ? undefined : startedAt;
  const results = {
    run: load("latest.json", since),
    dynamic: load("dynamic.json", since),
    batch: load("batch.json", since),
    dead: load("dead-endpoints.json", since),
    scale: load("scale-out.json", since),
    sender: load("sender.json", since),
    counts: load("store-counts.json", since),
    // From their own scripts, whenever they last ran:
    backlog: load("backlog.json"),
    wal: load("wal.json"),
    retention: load("retention.json"),
    failover: load("failover.json"),
    pgCapacity: load("pg-capacity.json"),
  };
  const rows = targetRows(results);
  const totalSeconds = Math.round(now() - t0) / 1000;
  printTable(
    rows,
    `Tidings performance targets (issue 11) — ${results.run?.meta.git ?? "?"}, ${summaryOnly ? "from the results files" : `one run, ${fmt(totalSeconds)} s`}`,
  );
  if (!summaryOnly) {
    console.log(
      `  scripts: ${runs.map((r) => `${relative(ROOT, join(BENCH_DIR, r.script))} ${r.seconds}s${r.exitCode === 0 ? "" : ` (exit ${r.exitCode ?? r.signal})`}`).join(" · ")}`,
    );
    console.log(
      `  total ${fmt(totalSeconds)} s (budget ${BUDGET_SECONDS} s${totalSeconds > BUDGET_SECONDS ? ": OVER" : ""})`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(
      join(RESULTS_DIR, "summary.json"),
      `${JSON.stringify({ startedAt, totalSeconds, runs, rows }, null, 2)}\n`,
    );
    if (runs.some((r) => r.exitCode !== 0)) process.exitCode = 1;
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
  process.exit(1);
});
