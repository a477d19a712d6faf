// Failover: a process SIGKILLed mid-run on PostgreSQL; how long until what it held is delivered? See bench/README.md.
//
//   npm run bench:failover
//   BENCH_FAILOVER_EVENTS=2000 node bench/failover.mjs
//
// BENCH_FAILOVER_PROCESSES (3) `tidings serve --role all` processes on one PostgreSQL schema (as scale-out.mjs),
// one static webhook, the receiver holding each answer BENCH_FAILOVER_HOLD_MS (200) ms so that deliveries queue and
// are in flight. BENCH_FAILOVER_EVENTS (5,000) operations are created, then completed with the calls spread
// round-robin over the processes (32 in flight): each delivery is born leased to the process that completed its
// operation (docs/store.md: leases and failover). When BENCH_FAILOVER_KILL_AT (0.3) of the completes have been
// answered, the last process is SIGKILLed, and what it held is read from the database at once (its pending
// deliveries, born leased to its worker or claimed by it: nothing of a dead worker's moves until it is reaped).
// Calls to it go to the others (a complete that may have committed before the kill and is refused on the retry
// counts as done). Then until the receiver has every delivery (its first arrival per operation):
//   (a) kill → the last first arrival;
//   (b) of what the killed process held, the last arrival after the kill (of one it had sent before the kill, its
//       arrival when sent again), watched until BENCH_FAILOVER_WATCH_S (40) s after the kill;
//   (c) duplicates (a delivery the killed process had sent but whose outcome it never wrote is sent again, with the
//       same webhook-id: at least once).
// Then, unless BENCH_FAILOVER_SQLITE_EVENTS=0, SQLite: one process (receiver holding BENCH_FAILOVER_SQLITE_HOLD_MS,
// 50), BENCH_FAILOVER_SQLITE_EVENTS (2,000) completed, SIGKILLed once BENCH_FAILOVER_KILL_AT of them have arrived and
// started again at once on the same data dir: kill → listening again, kill → last delivery, duplicates.
// Target (issue 16): the last delivery held by the killed process arrives ≤ 30 s after the kill.
import { randomBytes } from "node:crypto";
import { forEachConcurrent, intEnv, now, sleep } from "./lib.mjs";
import {
  ApiClient,
  completeOperation,
  createOperations,
  fmt,
  logger,
  row,
  runMain,
  runMeta,
  saveResults,
  startProcesses,
  startReceiver,
  startServer,
  stopReceiver,
  stopServer,
  tempDir,
  withServerOutput,
} from "./harness.mjs";
import { createSchema } from "./postgres.mjs";
import { operationsHeldBy, workerRegistered } from "./seed.mjs";

const EVENTS = Math.round(intEnv("BENCH_FAILOVER_EVENTS", 5000));
const PROCESSES = Math.round(intEnv("BENCH_FAILOVER_PROCESSES", 3));
const HOLD_MS = intEnv("BENCH_FAILOVER_HOLD_MS", 200);
const KILL_AT = intEnv("BENCH_FAILOVER_KILL_AT", 0.3);
const API_CONCURRENCY = Math.round(intEnv("BENCH_API_CONCURRENCY", 32));
const TIMEOUT_SECONDS = intEnv("BENCH_FAILOVER_TIMEOUT_S", 120);
const WATCH_SECONDS = intEnv("BENCH_FAILOVER_WATCH_S", 40);
const SQLITE_EVENTS = Math.round(Number(process.env.BENCH_FAILOVER_SQLITE_EVENTS ?? 2000));
const SQLITE_HOLD_MS = intEnv("BENCH_FAILOVER_SQLITE_HOLD_MS", 50);
const TARGET_SECONDS = 30;
const MASTER_KEY = randomBytes(32).toString("base64");

/**
 * Completes spread round-robin over the processes still alive; a call that fails on the network (the killed
 * process) marks its process dead and goes to the next one.
 */
class FailoverClient {
  constructor(servers) {
    this.clients = servers.map((s) => new ApiClient(s.url, API_CONCURRENCY));
    this.alive = this.clients.map(() => true);
    this.next = 0;
    this.retried = 0;
    this.refusedOnRetry = 0;
  }

  pick() {
    for (let i = 0; i < this.clients.length; i++) {
      const k = (this.next + i) % this.clients.length;
      if (this.alive[k]) {
        this.next = k + 1;
        return k;
      }
    }
    throw new Error("no process left");
  }

  /** JSON in and out on the next live process; with `complete`, a refusal after a retry counts as done. */
  async call(method, path, body, { complete = false } = {}) {
    let retry = false;
    for (;;) {
      const k = this.pick();
      let res;
      try {
        res = await this.clients[k].raw(method, path, JSON.stringify(body), { "content-type": "application/json" });
      } catch {
        this.alive[k] = false;
        this.retried++;
        retry = true;
        continue;
      }
      if (res.statusCode >= 200 && res.statusCode < 300) return JSON.parse(res.text || "{}");
      // The first try may have committed on the killed process before it died: the operation has ended.
      if (complete && retry && res.statusCode >= 400 && res.statusCode < 500) {
        this.refusedOnRetry++;
        return undefined;
      }
      throw new Error(`${method} ${path} -> ${res.statusCode}: ${res.text.slice(0, 200)}`);
    }
  }

  close() {
    return Promise.all(this.clients.map((c) => c.close()));
  }
}

/** Seconds from `killAt` until the killed process's worker is reaped (polled every 250 ms), or undefined. */
async function reapedAfter(url, pid, killAt, untilMs) {
  while (now() < untilMs) {
    if (!(await workerRegistered(url, pid))) return Math.round(now() - killAt) / 1000;
    await sleep(250);
  }
  return undefined;
}

/**
 * (b): when each operation the killed process held reached the receiver after the kill: its first arrival if that
 * came after the kill, else its arrival when sent again (it had been sent before the kill, its outcome never
 * written); one sent before and never again counts as arrived before the kill.
 */
function heldByKilled(held, receipts, repeats, killAt) {
  const first = new Map(receipts);
  const again = new Map(repeats);
  const name = (op) => (op.startsWith("operations/") ? op : `operations/${op}`); // the events' `data.id`
  const s = (t) => Math.round(t - killAt) / 1000;
  const after = [];
  let sentBeforeKill = 0;
  let neverArrived = 0;
  for (const op of held.map(name)) {
    const at = first.get(op);
    if (at === undefined) neverArrived++;
    else if (at > killAt) after.push(at);
    else {
      sentBeforeKill++;
      if (again.has(op)) after.push(again.get(op));
    }
  }
  after.sort((a, b) => a - b);
  return {
    count: held.length,
    sentBeforeKill,
    sentAgain: held.map(name).filter((op) => (first.get(op) ?? Infinity) <= killAt && again.has(op)).length,
    neverArrived,
    firstAfterKillSeconds: after.length > 0 ? s(after[0]) : undefined,
    lastAfterKillSeconds: after.length > 0 ? s(after.at(-1)) : undefined,
  };
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  lines.push("");
  lines.push(
    `Tidings failover (PostgreSQL) — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` ${r.config.processes} processes, ${fmt(r.config.events)} operations, receiver holds each answer ${r.config.holdMs} ms; SIGKILL after ${fmt(r.config.killAt * r.config.events)} completes, ${fmt(r.receivedAtKill)} received`,
  );
  add(
    "(a) kill → last delivery (first arrivals)",
    `${fmt(r.killToLastSeconds, 2)} s`,
    `last request of any kind (re-sends too) ${fmt(r.killToLastRequestSeconds, 2)} s${r.timedOut ? " · TIMED OUT" : ""}`,
  );
  const h = r.held;
  add(
    "(b) held by the killed process: last arrival",
    `${fmt(h.lastAfterKillSeconds, 2)} s`,
    `${fmt(h.count)} held (${h.sentBeforeKill} had been sent, ${h.sentAgain} of them again; ${h.neverArrived} never arrived), first at ${fmt(h.firstAfterKillSeconds, 2)} s; target ≤ ${TARGET_SECONDS} s: ${r.pass ? "PASS" : "MISS"}`,
  );
  add(
    "the dead worker reaped after",
    `${fmt(r.reapedAfterKillSeconds, 2)} s`,
    "its row gone from `workers` (polled every 250 ms); its deliveries then queue in the order they fell due",
  );
  add("(c) duplicates", `${r.duplicates}`, "same webhook-id twice (at least once: expected after a SIGKILL)");
  add(
    "received · completes retried · refused on retry",
    `${fmt(r.received)} · ${r.retried} · ${r.refusedOnRetry}`,
    `of ${fmt(r.config.events)}`,
  );
  const q = r.sqlite;
  if (q)
    add(
      `SQLite, 1 process killed and started again (${fmt(q.events)})`,
      `${fmt(q.killToLastSeconds, 2)} s`,
      `kill → last delivery; listening again after ${fmt(q.listeningAfterKillSeconds, 2)} s; ${q.duplicates} duplicates${q.timedOut ? " · TIMED OUT" : ""}`,
    );
  if (h.count === 0)
    lines.push("  ! the killed process held nothing: raise BENCH_FAILOVER_HOLD_MS or BENCH_FAILOVER_EVENTS");
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("failover", t0);
  const meta = runMeta();
  const receiver = await startReceiver();
  const schema = await createSchema("failover");
  const env = { TIDINGS_DATABASE_URL: schema.url, TIDINGS_MASTER_KEY: MASTER_KEY, TIDINGS_ROLE: "all" };
  const servers = [];
  let api;
  let results;
  try {
    for (let i = 0; i < PROCESSES; i++) servers.push(await startServer(tempDir("tidings-bench-failover-"), env));
    log(`${servers.map((s) => `${s.url} (pid ${s.proc.pid})`).join(", ")}, schema ${schema.name}`);
    api = new FailoverClient(servers);
    results = await withServerOutput(servers[0], async () => {
      const webhook = await api.call("POST", "/v1/webhooks", {
        uri: `${receiver.url}/hook`,
        subscribed_events: ["*"],
      });
      const ids = await createOperations(api, EVENTS, API_CONCURRENCY);
      await receiver.child.call("reset", {
        phase: "failover",
        secret: webhook.new_signing_secret,
        verifyEvery: 100,
        record: true,
        expect: EVENTS,
        holdMs: HOLD_MS,
      });
      receiver.child.clearEvents();
      const victim = servers.at(-1);
      const start = now();
      let answered = 0;
      let kill;
      const complete = async (id) => {
        await api.call("POST", `/v1/operations/${id}:complete`, { output_file_uri: "files/x" }, { complete: true });
        if (++answered === Math.round(EVENTS * KILL_AT)) {
          victim.proc.kill("SIGKILL");
          kill = { at: now(), received: (await receiver.child.call("stats")).unique };
          log(`SIGKILL pid ${victim.proc.pid} ${((kill.at - start) / 1000).toFixed(2)}s after the first complete`);
          // Nothing of the dead worker's moves until it is reaped (docs/store.md: leases and failover).
          kill.held = await operationsHeldBy(schema.url, victim.proc.pid);
          kill.reaped = reapedAfter(schema.url, victim.proc.pid, kill.at, kill.at + TIMEOUT_SECONDS * 1000);
        }
      };
      await forEachConcurrent(ids, API_CONCURRENCY, complete);
      const apiDone = now();
      const reached = await receiver.child.waitEvent("reached", TIMEOUT_SECONDS * 1000);
      // What was sent before the kill comes again once the dead worker is reaped (≤ 20 s, docs/store.md): watch.
      await sleep(Math.max(0, kill.at + WATCH_SECONDS * 1000 - now()));
      const stats = await receiver.child.call("stats");
      const { repeats } = await receiver.child.call("repeats");
      const { receipts } = await receiver.child.call("receipts"); // each operation's first arrival
      const arrivals = receipts.map(([, at]) => at).sort((a, b) => a - b);
      const afterKill = arrivals.filter((t) => t > kill.at);
      const held = heldByKilled(kill.held, receipts, repeats, kill.at);
      const lastAt = arrivals.at(-1);
      return {
        meta,
        config: {
          events: EVENTS,
          processes: PROCESSES,
          holdMs: HOLD_MS,
          killAt: KILL_AT,
          apiConcurrency: API_CONCURRENCY,
        },
        completeSeconds: Math.round(apiDone - start) / 1000,
        receivedAtKill: kill.received,
        killToLastSeconds: lastAt !== undefined ? Math.round(lastAt - kill.at) / 1000 : undefined,
        killToLastRequestSeconds: Math.round(stats.lastAt - kill.at) / 1000,
        held,
        reapedAfterKillSeconds: await kill.reaped,
        target: TARGET_SECONDS,
        pass:
          reached !== undefined &&
          held.neverArrived === 0 &&
          held.lastAfterKillSeconds !== undefined &&
          held.lastAfterKillSeconds <= TARGET_SECONDS,
        timedOut: reached === undefined,
        received: stats.unique,
        duplicates: stats.duplicates,
        verified: stats.verified,
        verifyFailures: stats.verifyFailureCount,
        retried: api.retried,
        refusedOnRetry: api.refusedOnRetry,
        // Arrivals after the kill, in 1 s bins from it: the shape of the recovery.
        arrivalsPerSecondAfterKill: Array.from(
          { length: afterKill.length > 0 ? Math.floor((afterKill.at(-1) - kill.at) / 1000) + 1 : 0 },
          (_, i) => afterKill.filter((t) => t - kill.at >= i * 1000 && t - kill.at < (i + 1) * 1000).length,
        ),
        serverWarningSamples: servers.flatMap((s) => s.logLines).slice(0, 5),
        totalSeconds: 0,
      };
    });
  } finally {
    await api?.close();
    await stopReceiver(receiver);
    await Promise.all(servers.map((s) => stopServer(s)));
    await schema.drop();
  }
  if (SQLITE_EVENTS > 0) results.sqlite = await sqliteRestart(log);
  saveResults("failover.json", results, t0, printReport);
}

/**
 * SQLite, one process: SIGKILLed once BENCH_FAILOVER_KILL_AT of the deliveries have arrived, started again at once
 * on the same data dir (its engine takes over every other worker at start, docs/store.md), until the receiver has
 * every delivery.
 */
async function sqliteRestart(log) {
  const { dataDir, receiver, server } = await startProcesses(log, "tidings-bench-failover-sqlite-");
  const api = new ApiClient(server.url, API_CONCURRENCY);
  let restarted;
  try {
    const webhook = await api.call("POST", "/v1/webhooks", { uri: `${receiver.url}/hook`, subscribed_events: ["*"] });
    const ids = await createOperations(api, SQLITE_EVENTS, API_CONCURRENCY);
    await receiver.child.call("reset", {
      phase: "sqlite",
      secret: webhook.new_signing_secret,
      verifyEvery: 100,
      expect: SQLITE_EVENTS,
      holdMs: SQLITE_HOLD_MS,
    });
    receiver.child.clearEvents();
    await forEachConcurrent(ids, API_CONCURRENCY, (id) => completeOperation(api, id));
    const atKill = await whenReceived(receiver, Math.round(SQLITE_EVENTS * KILL_AT));
    server.proc.kill("SIGKILL");
    const killAt = now();
    restarted = await startServer(dataDir);
    const listeningAt = now();
    log(
      `SQLite: SIGKILL with ${atKill} received, listening again after ${((listeningAt - killAt) / 1000).toFixed(2)}s`,
    );
    const reached = await receiver.child.waitEvent("reached", TIMEOUT_SECONDS * 1000);
    await sleep(2000); // re-sends of what was in flight come with the rest; a moment for stragglers
    const stats = await receiver.child.call("stats");
    const s = (t) => Math.round(t - killAt) / 1000;
    return {
      events: SQLITE_EVENTS,
      holdMs: SQLITE_HOLD_MS,
      receivedAtKill: atKill,
      listeningAfterKillSeconds: s(listeningAt),
      killToLastSeconds: reached ? s(reached.at) : undefined,
      timedOut: reached === undefined,
      received: stats.unique,
      duplicates: stats.duplicates,
    };
  } finally {
    await api.close();
    await stopReceiver(receiver);
    if (restarted) await stopServer(restarted);
  }
}

/** Polls the receiver until it has `count` deliveries; resolves with how many it had. */
async function whenReceived(receiver, count) {
  for (;;) {
    const { unique } = await receiver.child.call("stats");
    if (unique >= count) return unique;
    await sleep(5);
  }
}

runMain(main);
