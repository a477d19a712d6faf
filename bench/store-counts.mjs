// What the store writes per delivered event, counted exactly (issue 16): statements, rows, index entries, WAL bytes
// and bytes at rest, on SQLite. Deterministic: the same numbers on every run and machine, so they are the numbers to
// steer by (bench/run.mjs measures time and CPU).
//
//   npm run build && node bench/store-counts.mjs            (BENCH_COUNT_EVENTS=20000, BENCH_COUNT_BATCH=32)
//
// It drives Tidings' own write path in this process, on fake time: the custom-operation service completes
// operations BATCH at a time (as concurrent API calls do), the outbox writes each event and its delivery born
// leased to the delivery engine, an instant sender answers 200, and the engine records the outcomes in its
// 20 ms flushes. One project, one static webhook subscribed to `*`. Checkpoints are off while it runs, so the WAL's
// growth is what the workload wrote; bytes at rest are the database's growth once checkpointed. The same counters
// run on the durable floor (bench/floor/store.mjs: its commits of BATCH completes, then their outcomes in one
// transaction, as its server does), with its 4 secondary indexes ("the floor") and with none. Then each workload is
// timed once more, uncounted: its CPU per event (not deterministic, but free of HTTP and other processes). Results:
// bench/results/store-counts.json (npm run bench shows its rows).
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import FakeTimers from "@sinonjs/fake-timers";
import { openFloorStore } from "./floor/store.mjs";
import { saveResults, runMeta } from "./harness.mjs";
import { intEnv, now } from "./lib.mjs";
import { installCounters, perEvent } from "./sqlite-counters.mjs";

const EVENTS = Math.round(intEnv("BENCH_COUNT_EVENTS", 20_000));
const BATCH = Math.round(intEnv("BENCH_COUNT_BATCH", 32));
const ROOT = new URL("..", import.meta.url).pathname;
const DIST = join(ROOT, "packages/server/dist");
const load = (path) => import(pathToFileURL(join(DIST, path)).href);
const Database = createRequire(join(ROOT, "packages/server/package.json"))("better-sqlite3");

/** Fake time as a Tidings Clock: nothing waits for real time; `advance` fires what falls due. */
class FakeClock {
  constructor() {
    this.timers = FakeTimers.createClock(Date.parse("2026-05-04T12:00:00Z"));
  }
  now() {
    return this.timers.now;
  }
  setTimeout(callback, ms) {
    return { id: this.timers.setTimeout(callback, ms), unref() {} };
  }
  clearTimeout(timer) {
    if (timer !== undefined) this.timers.clearTimeout(timer.id);
  }
  async advance(ms) {
    await this.timers.tickAsync(ms);
    for (let i = 0; i < 10; i++) {
      await this.timers.tickAsync(0);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** Tidings' write path for custom operations: store, outbox, operation service and delivery engine. */
async function tidingsWorkload(path, clock) {
  const [
    { SqliteStore },
    { Outbox },
    { EventBus },
    { OperationService },
    { DeliveryEngine, DEFAULT_ENGINE_OPTIONS, FLUSH_WINDOW_MS },
    { retryPolicy },
  ] = await Promise.all([
    load("store/sqlite/sqlite-store.js"),
    load("services/outbox.js"),
    load("services/event-bus.js"),
    load("services/operations.js"),
    load("delivery/engine.js"),
    load("core/retry-schedule.js"),
  ]);
  const { AddressPolicy } = await load("net/address-policy.js");
  const { default: pino } = await import(
    pathToFileURL(createRequire(join(ROOT, "packages/server/package.json")).resolve("pino")).href
  );
  const store = new SqliteStore(path, { now: () => clock.now(), checkpoints: false });
  let engine;
  const outbox = new Outbox(() => engine, new EventBus());
  const ctx = {
    store,
    outbox,
    clock,
    uriRules: { allowHttp: true, policy: new AddressPolicy([]) },
    log: pino({ level: "silent" }),
    notifyExpiry() {},
  };
  const operations = new OperationService(ctx);
  engine = new DeliveryEngine(
    {
      store,
      sender: { send: async () => ({ kind: "response", statusCode: 200, body: "", latencyMs: 1 }) },
      buildAttempt: async (delivery) => ({ headers: { "webhook-id": delivery.eventId } }),
      policy: retryPolicy([5, 30], () => 0.5),
      clock,
      workerName: "bench",
      exclusive: true,
      onDisable: async () => {},
      observer: { attempt() {}, claimRound() {}, error: (err) => console.error(err) },
    },
    { ...DEFAULT_ENGINE_OPTIONS, idlePollMs: 3_600_000 },
  );
  const now = clock.now();
  const projectId = "bench-project";
  await store.projects.insert({ id: projectId, displayName: "bench", isDefault: true, createdAt: now });
  await store.webhooks.insert({
    id: "bench-webhook",
    projectId,
    name: "",
    uri: "https://receiver.example/hook",
    subscribedEvents: ["*"],
    state: "enabled",
    sealedSecrets: "sealed",
    signingScheme: "v1",
    createdAt: now,
    updatedAt: now,
  });
  await engine.start();
  return {
    db: store.connection.db,
    async prepare(count) {
      const ids = [];
      for (let i = 0; i < count; i++) {
        ids.push((await operations.create(projectId, { type: "bench" })).id);
        clock.timers.tick(1); // a millisecond apart, as a busy API makes them
      }
      return ids;
    },
    async complete(ids) {
      await Promise.all(ids.map((id) => operations.complete(projectId, id, { output_file_uri: "files/out" })));
      await clock.advance(FLUSH_WINDOW_MS);
    },
    async delivered() {
      return store.connection.db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'succeeded'").get().n;
    },
    async close() {
      await engine.stop();
      await store.close();
    },
  };
}

const walBytes = (path) => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};
/** The WAL's frames by the b-tree their page belongs to (dbstat), in bytes: where the WAL bytes go. */
function walByTree(path, db) {
  const wal = readFileSync(`${path}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const owner = new Map(
    db
      .prepare("SELECT pageno, name FROM dbstat")
      .all()
      .map((r) => [r.pageno, r.name]),
  );
  const bytes = {};
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    const name = owner.get(wal.readUInt32BE(at)) ?? "(free or header)";
    bytes[name] = (bytes[name] ?? 0) + 24 + pageSize;
  }
  return bytes;
}

const liveBytes = (db) =>
  (db.pragma("page_count", { simple: true }) - db.pragma("freelist_count", { simple: true })) *
  db.pragma("page_size", { simple: true });

/**
 * A fresh workload in a temp directory with `events` operations prepared, handed to `measure` with their ids and the
 * database's path; closed and removed after.
 */
async function onWorkload(makeWorkload, events, measure) {
  const dir = mkdtempSync(join(tmpdir(), "tidings-counts-"));
  const path = join(dir, "store.db");
  const workload = await makeWorkload(path, new FakeClock());
  try {
    return await measure(workload, await workload.prepare(events), path);
  } finally {
    await workload.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function completeAll(workload, ids, batch) {
  for (let i = 0; i < ids.length; i += batch) await workload.complete(ids.slice(i, i + batch));
}

/** Runs `workload` over EVENTS events, BATCH at a time, and counts what it wrote per event. */
export function countWrites(makeWorkload, { events = EVENTS, batch = BATCH } = {}) {
  return onWorkload(makeWorkload, events, async (workload, ids, path) => {
    workload.db.pragma("wal_checkpoint(TRUNCATE)");
    const counters = installCounters(workload.db, Database);
    try {
      const atRestBefore = liveBytes(workload.db);
      const walBefore = walBytes(path);
      const before = counters.read();
      await completeAll(workload, ids, batch);
      const after = counters.read();
      const wal = walBytes(path) - walBefore;
      const walTrees = walByTree(path, workload.db);
      const delivered = await workload.delivered();
      workload.db.pragma("wal_checkpoint(TRUNCATE)");
      const atRest = liveBytes(workload.db) - atRestBefore;
      if (delivered !== events) throw new Error(`${delivered} of ${events} deliveries succeeded`);
      const walByTreePerEvent = Object.fromEntries(
        Object.entries(walTrees).map(([k, v]) => [k, Math.round(v / events)]),
      );
      return {
        events,
        batch,
        ...perEvent(before, after, events),
        walBytes: wal / events,
        walByTree: walByTreePerEvent,
        bytesAtRest: atRest / events,
      };
    } finally {
      counters.remove();
    }
  });
}

/**
 * The CPU this process spends per event while completing: the same workload, with no counters installed, after the
 * counted pass has warmed the same code. Not deterministic like the counts, but with no HTTP and no other process
 * it moves far less than an end-to-end run: the write path's own cost (Tidings' includes the fake clock's timers).
 */
export function timeWrites(makeWorkload, { events = EVENTS, batch = BATCH } = {}) {
  return onWorkload(makeWorkload, events, async (workload, ids) => {
    const before = process.cpuUsage();
    await completeAll(workload, ids, batch);
    const { user, system } = process.cpuUsage(before);
    return { userUs: user / events, systemUs: system / events };
  });
}

export function printCounts(label, c) {
  const f = (x) => (Math.round(x * 100) / 100).toLocaleString("en-US");
  console.log(`${label}: ${c.events} events, ${c.batch} per batch`);
  console.log(
    `  statements ${f(c.statements)}  rows ${f(c.rows)}  index entries ${f(c.entries)}  WAL ${f(c.walBytes)} B  at rest ${f(c.bytesAtRest)} B  (per event)`,
  );
  console.log(
    `  rows by table: ${Object.entries(c.rowsByTable)
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(", ")}`,
  );
  console.log(
    `  index entries: ${
      Object.entries(c.entriesByIndex)
        .map(([k, v]) => `${k} ${f(v)}`)
        .join(", ") || "none"
    }`,
  );
  console.log(
    `  WAL bytes by b-tree: ${Object.entries(c.walByTree)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${f(v)}`)
      .join(", ")}`,
  );
}

/** The durable floor's write path (bench/floor/store.mjs) with `indexes` secondary indexes on its events. */
async function floorWorkload(path, clock, indexes) {
  const store = openFloorStore(path, { indexes, autocheckpoint: false, now: () => clock.now() });
  return {
    db: store.db,
    async prepare(count) {
      const ids = [];
      for (let i = 0; i < count; i++) {
        ids.push(store.commit([{ kind: "create", type: "bench" }])[0].id);
        clock.timers.tick(1);
      }
      return ids;
    },
    async complete(ids) {
      const results = store.commit(ids.map((id) => ({ kind: "complete", id, outputFileUri: "files/out" })));
      store.recordOutcomes(results.map(({ event }) => ({ id: event.id, status: 200, delivered: true })));
    },
    delivered: async () => store.delivered(),
    close: async () => store.close(),
  };
}

export const countTidings = (options) => countWrites(tidingsWorkload, options);
export const countFloor = (indexes, options) =>
  countWrites((path, clock) => floorWorkload(path, clock, indexes), options);

/** The per-event totals side by side: Tidings, the floor (4 indexes), the floor without indexes. */
function printSideBySide(r) {
  const f = (x) => (Math.round(x * 100) / 100).toLocaleString("en-US");
  const columns = [
    ["Tidings", r.tidings],
    ["floor", r.floor],
    ["floor, 0 indexes", r.floorNoIndexes],
  ];
  console.log(
    `per event (${r.config.events} events, ${r.config.batch} per batch)`.padEnd(28) +
      columns.map(([n]) => n.padStart(18)).join(""),
  );
  for (const [label, key] of [
    ["statements", "statements"],
    ["rows written", "rows"],
    ["index entries", "entries"],
    ["WAL bytes", "walBytes"],
    ["bytes at rest", "bytesAtRest"],
  ])
    console.log(`  ${label.padEnd(26)}${columns.map(([, c]) => f(c[key]).padStart(18)).join("")}`);
  if (!r.cpu) return;
  const cpu = [r.cpu.tidings, r.cpu.floor, r.cpu.floorNoIndexes];
  console.log(`  ${"CPU µs, user (timed pass)".padEnd(26)}${cpu.map((c) => f(c.userUs).padStart(18)).join("")}`);
  console.log(`  ${"CPU µs, system".padEnd(26)}${cpu.map((c) => f(c.systemUs).padStart(18)).join("")}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t0 = now();
  const meta = runMeta();
  const results = {
    meta,
    config: { events: EVENTS, batch: BATCH },
    tidings: await countTidings(),
    floor: await countFloor(4),
    floorNoIndexes: await countFloor(0),
  };
  results.cpu = {
    tidings: await timeWrites(tidingsWorkload),
    floor: await timeWrites((path, clock) => floorWorkload(path, clock, 4)),
    floorNoIndexes: await timeWrites((path, clock) => floorWorkload(path, clock, 0)),
  };
  saveResults("store-counts.json", results, t0, (r) => {
    printCounts("Tidings", r.tidings);
    printCounts("The durable floor (bench/floor/store.mjs, 4 secondary indexes)", r.floor);
    printCounts("The floor without secondary indexes", r.floorNoIndexes);
    console.log("");
    printSideBySide(r);
  });
}
