// Process and client plumbing shared by the bench scripts: Tidings servers and the receiver (bench/receiver.mjs),
// a keep-alive API client, the complete-all and paced phases, CPU accounting, cleanup on any exit, and the frame
// of a run (log, metadata, results file).
import { execFileSync, fork, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Pool, request } from "undici";
import {
  clockTicks,
  forEachConcurrent,
  IpcChild,
  machineBusyCpuSeconds,
  now,
  processCpuSeconds,
  sleep,
  statCpuSeconds,
  summarize,
} from "./lib.mjs";

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH_DIR, "..");
export const RESULTS_DIR = join(BENCH_DIR, "results");
/** BENCH_SERVER_CLI points at another build's cli/main.js (an A/B comparison); default: this checkout's build. */
export const CLI = resolve(process.env.BENCH_SERVER_CLI ?? join(ROOT, "packages/server/dist/cli/main.js"));
export const API_KEY = `tdk_bench_${Math.random().toString(36).slice(2)}`;
/** Phases during which other processes used more than this many cores are flagged as disturbed. */
export const NOISY_CORES = 0.25;

// ---------------------------------------------------------------------------------------------- cleanup
const children = new Set();
const tempDirs = new Set();
export function cleanupSync() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    cleanupSync();
    process.exit(130);
  });
}

/**
 * The build's DEFAULT_ENGINE_OPTIONS (per-endpoint concurrency, queue depth…), or `fallback` when they cannot be read.
 */
export async function engineOptions(fallback = { perEndpointConcurrency: 16 }) {
  try {
    return (
      (await import(pathToFileURL(join(dirname(CLI), "../delivery/engine.js")).href)).DEFAULT_ENGINE_OPTIONS ?? fallback
    );
  } catch {
    return fallback;
  }
}

/** A temp directory removed on exit. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Runs `main`, prints a failure, always cleans up, exits. */
export function runMain(main) {
  main()
    .then(() => {
      cleanupSync();
      process.exit(process.exitCode ?? 0);
    })
    .catch((err) => {
      process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
      cleanupSync();
      process.exit(1);
    });
}

// ---------------------------------------------------------------------------------------------- processes
/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/** Spawns `command` (child_process.spawn's arguments); killed on exit. */
export function spawnChild(command, args, options) {
  const proc = spawn(command, args, options);
  children.add(proc);
  return proc;
}

/** Forks bench/`file` with an IPC channel (its output inherited), with node flags `execArgv`; killed on exit. */
export function forkChild(file, args = [], execArgv = []) {
  const proc = fork(join(BENCH_DIR, file), args, { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
  children.add(proc);
  return proc;
}

/**
 * The receiver, listening on a port of its own choice; with `listen: false` it starts with no port open
 * (`url` undefined) until openReceiver().
 */
export async function startReceiver({ listen = true } = {}) {
  const proc = forkChild("receiver.mjs", listen ? [] : ["--closed"]);
  const child = new IpcChild(proc);
  const started = await Promise.race([
    child.waitEvent(listen ? "listening" : "ready", 10_000),
    new Promise((_, reject) => proc.once("exit", (code) => reject(new Error(`receiver exited early (code ${code})`)))),
  ]);
  if (started === undefined) throw new Error("receiver did not start within 10 s");
  return { proc, child, port: started.port, url: listen ? `http://127.0.0.1:${started.port}` : undefined };
}

/** Opens a receiver started with `listen: false` on `port`; resolves once it accepts connections. */
export async function openReceiver(receiver, port) {
  const reply = await receiver.child.call("listen", { port });
  if (reply.error) throw new Error(`receiver could not listen on ${port}: ${reply.error}`);
  receiver.port = port;
  receiver.url = `http://127.0.0.1:${port}`;
  return reply.at;
}

export async function stopReceiver(receiver) {
  if (receiver.proc.exitCode !== null) return;
  const exited = new Promise((r) => receiver.proc.once("exit", r));
  receiver.proc.send({ type: "exit" });
  await Promise.race([exited, sleep(2000)]);
}

/**
 * `tidings serve` with SQLite in `dataDir`; `env` adds to (or overrides) the bench's settings, `nodeArgs` go to
 * node before the CLI, then BENCH_SERVER_NODE_ARGS (so that any bench's servers can be profiled), and with `ipc`
 * the server gets an IPC channel (for bench/server-probe.mjs), spoken to through the returned `child`.
 */
export async function startServer(dataDir, env = {}, { nodeArgs = [], ipc = false } = {}) {
  const port = await freePort();
  const extraArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...nodeArgs, ...extraArgs, CLI, "serve"], {
    cwd: ROOT,
    env: {
      ...process.env,
      TIDINGS_DEV: "1",
      TIDINGS_API_KEY: API_KEY,
      TIDINGS_DATA_DIR: dataDir,
      TIDINGS_PORT: String(port),
      TIDINGS_HOST: "127.0.0.1",
      TIDINGS_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe", ...(ipc ? ["ipc"] : [])],
  });
  children.add(proc);
  const child = ipc ? new IpcChild(proc) : undefined;
  let output = "";
  const logLines = [];
  const onData = (chunk) => {
    const text = chunk.toString("utf8");
    output = (output + text).slice(-8192);
    for (const line of text.split("\n")) if (line.startsWith("{")) logLines.push(line);
  };
  proc.stdout.on("data", onData);
  proc.stderr.on("data", onData);
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 15 s:\n${output}`)), 15_000);
    const check = () => {
      const m = /Tidings is listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    proc.stdout.on("data", check);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}):\n${output}`));
    });
  });
  return { proc, url, port, child, output: () => output, logLines };
}

/**
 * A temp data directory (`tempPrefix`), the receiver, then the server (`env`, `options` as for startServer); logs where
 * they are.
 */
export async function startProcesses(log, tempPrefix, env = {}, options = {}, { logDataDir = false } = {}) {
  const dataDir = tempDir(tempPrefix);
  const receiver = await startReceiver();
  const server = await startServer(dataDir, env, options);
  log(
    `server ${server.url} (pid ${server.proc.pid}), receiver ${receiver.url} (pid ${receiver.proc.pid})${logDataDir ? `, data in ${dataDir}` : ""}`,
  );
  return { dataDir, receiver, server };
}

/** Resident set size of a process in MB, from /proc (Linux); undefined elsewhere or once it has exited. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The sum of a Prometheus counter (all label sets) on a server's GET /metrics; undefined when it is not exposed. */
export async function metricSum(url, name, label) {
  return (await metricSums(url, [name], label))[name];
}

/** metricSum() of several metrics from one scrape: `{name: sum}`. */
export async function metricSums(url, names, label) {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  const sums = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && names.includes(m[1]) && (label === undefined || (m[2] ?? "").includes(label)))
      sums[m[1]] = (sums[m[1]] ?? 0) + Number(m[3]);
  }
  return sums;
}

export async function stopServer(server) {
  if (server.proc.exitCode !== null) return;
  const exited = new Promise((r) => server.proc.once("exit", r));
  server.proc.kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!done) server.proc.kill("SIGKILL");
}

// ---------------------------------------------------------------------------------------------- API client
/** Keep-alive client for the Tidings API. */
export class ApiClient {
  constructor(url, connections) {
    this.pool = new Pool(url, { connections, keepAliveTimeout: 30_000 });
  }

  /** JSON in, JSON out; throws on a non-2xx status. */
  async call(method, path, body, headers = {}) {
    const res = await this.raw(method, path, body === undefined ? undefined : JSON.stringify(body), {
      "content-type": "application/json",
      ...headers,
    });
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new Error(`${method} ${path} -> ${res.statusCode}: ${res.text.slice(0, 400)}`);
    return res.text === "" ? undefined : JSON.parse(res.text);
  }

  /** Any body, any headers (the API key is added); resolves with status, headers and the body as text. */
  async raw(method, path, body, headers = {}) {
    const res = await this.pool.request({ method, path, headers: { "x-goog-api-key": API_KEY, ...headers }, body });
    return { statusCode: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  close() {
    return this.pool.close();
  }
}

/** Creates `count` custom operations from `body`, `concurrency` calls in flight; resolves with their ids. */
export async function createOperations(api, count, concurrency, body = { type: "bench" }) {
  const ids = new Array(count);
  await forEachConcurrent(ids, concurrency, async (_, i) => {
    const op = await api.call("POST", "/v1/operations", body);
    ids[i] = op.name.slice("operations/".length);
  });
  return ids;
}

/** Completes custom operation `id` (the same output for every bench). */
export const completeOperation = (api, id) =>
  api.call("POST", `/v1/operations/${id}:complete`, { output_file_uri: "files/x" });

/**
 * Resets the receiver for `phase` (with `receiverOptions`, e.g. black holes), completes `ids` (`concurrency` API calls
 * in flight) and waits until the receiver has `expect` deliveries (default: one per id), at most `timeoutMs`.
 * Resolves with `reached` (the receiver's event; undefined at the timeout), the CPU of the phase, and its times:
 * `start` (first complete sent), `apiDone` (last complete replied), `lastAt` (last receipt).
 */
export async function completeAll(
  server,
  receiver,
  api,
  ids,
  { phase, concurrency, verifyEvery, threads = true, expect = ids.length, receiverOptions = {}, timeoutMs },
) {
  await receiver.child.call("reset", { phase, expect, verifyEvery, ...receiverOptions });
  receiver.child.clearEvents();
  const cpu0 = cpuSnapshot(server, receiver, { threads });
  const start = now();
  await forEachConcurrent(ids, concurrency, (id) => completeOperation(api, id));
  const apiDone = now();
  const reached = await receiver.child.waitEvent("reached", timeoutMs ?? Math.max(30_000, expect * 5));
  const cpu = cpuDelta(cpu0, cpuSnapshot(server, receiver, { threads }));
  return { reached, start, apiDone, lastAt: reached?.at, cpu };
}

/** The throughput figures of a completeAll() phase, rounded as the reports show them. */
export function completeAllRates(count, { start, apiDone, lastAt }) {
  const elapsed = lastAt !== undefined ? lastAt - start : undefined;
  return {
    seconds: elapsed !== undefined ? Math.round(elapsed) / 1000 : undefined,
    deliveriesPerSecond: elapsed !== undefined ? Math.round((count / elapsed) * 1000) : undefined,
    completesPerSecond: Math.round((count / (apiDone - start)) * 1000),
    lastReceiptAfterLastCompleteMs: lastAt !== undefined ? Math.round((lastAt - apiDone) * 10) / 10 : undefined,
  };
}

/**
 * Completes one of `ids` every 1000/`rate` ms on an absolute schedule and measures, per event, receipt time in
 * the receiver minus (a) when the API's reply arrived and (b) when the request was sent. Sleeps with setTimeout
 * until ~`spinMs` before each send time, then setImmediate (I/O still runs between turns); late turns send what
 * is due at once, and the scheduler lag is reported.
 */
export async function pacedCompletes(server, receiver, api, ids, { rate, seconds, verifyEvery, spinMs = 0.5 }) {
  const count = ids.length;
  await receiver.child.call("reset", { phase: "paced", expect: count, record: true, verifyEvery });
  receiver.child.clearEvents();
  const interval = 1000 / rate;
  const sentAt = new Float64Array(count);
  const repliedAt = new Float64Array(count);
  const lag = new Float64Array(count);
  const failures = [];
  const inFlight = [];
  const cpu0 = cpuSnapshot(server, receiver, { threads: false });
  const start = now() + 20;
  let next = 0;

  const fire = (i) => {
    sentAt[i] = now();
    lag[i] = sentAt[i] - (start + i * interval);
    inFlight.push(
      completeOperation(api, ids[i]).then(
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
  // Spinning costs CPU that the server, on a small machine, would miss: 0.5 ms is ~5% of a core at 200/s.
  await new Promise((done) => {
    const tick = () => {
      const t = now();
      while (next < count && start + next * interval <= t) fire(next++);
      if (next >= count) return done();
      const wait = start + next * interval - now();
      if (wait > spinMs) setTimeout(tick, Math.max(0, Math.floor(wait - spinMs)));
      else setImmediate(tick);
    };
    tick();
  });
  await Promise.all(inFlight);
  const scheduleEnd = now();
  const reached = await receiver.child.waitEvent("reached", 15_000);
  const cpu1 = cpuSnapshot(server, receiver, { threads: false });
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
    receivedBeforeApiReply: fromReply.filter((x) => x < 0).length,
    missing,
    apiFailures: failures.length,
    apiFailureSamples: failures.slice(0, 3),
    duplicates: stats.duplicates,
    verified: stats.verified,
    verifyFailures: stats.verifyFailureCount,
    cpu: cpuDelta(cpu0, cpu1),
  };
}

/** Offset of the receiver's clock from ours, from the IPC round trip with the smallest RTT. */
export async function clockOffset(receiver) {
  let best = { rtt: Infinity, offset: NaN };
  for (let i = 0; i < 30; i++) {
    const t0 = now();
    const { at } = await receiver.child.call("clock");
    const t1 = now();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: at - (t0 + t1) / 2 };
  }
  return { offsetMs: Math.round(best.offset * 1000) / 1000, rttMs: Math.round(best.rtt * 1000) / 1000 };
}

// ---------------------------------------------------------------------------------------------- CPU accounting
/** CPU seconds per thread of a process (Linux), by thread id; undefined elsewhere. */
function threadCpuSeconds(pid) {
  try {
    clockTicks(); // as processCpuSeconds: without getconf, no split at all
    const threads = new Map();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        threads.set(tid, statCpuSeconds(`/proc/${pid}/task/${tid}/stat`));
      } catch {
        /* the thread ended */
      }
    }
    return threads;
  } catch {
    return undefined;
  }
}

/**
 * The processes whose CPU counts as "the server": a group (several servers, a peer and its Redis) lists them in `pids`.
 */
const serverPids = (server) => server.pids ?? [server.proc.pid];

/**
 * CPU used so far by the server (all of `server.pids` when given), the receiver, this process and the machine;
 * `threads: false` skips the split of the server's threads (always skipped for a group).
 */
export function cpuSnapshot(server, receiver, { threads = true } = {}) {
  const self = process.cpuUsage();
  const pids = serverPids(server);
  const perProcess = pids.map(processCpuSeconds);
  return {
    t: now(),
    server: perProcess.includes(undefined) ? undefined : perProcess.reduce((a, b) => a + b, 0),
    serverPid: String(pids[0]),
    serverThreads: threads && pids.length === 1 ? threadCpuSeconds(pids[0]) : undefined,
    receiver: processCpuSeconds(receiver.proc.pid),
    bench: (self.user + self.system) / 1e6,
    machine: machineBusyCpuSeconds(),
  };
}

export function cpuDelta(a, b) {
  const d = (k) => (a[k] === undefined || b[k] === undefined ? undefined : Math.round((b[k] - a[k]) * 1000) / 1000);
  const wall = (b.t - a.t) / 1000;
  const ours = [d("server"), d("receiver"), d("bench")];
  const machine = d("machine");
  // Everything else the machine ran meanwhile (other people's jobs): the noise floor of this phase.
  const others =
    machine === undefined || ours.includes(undefined)
      ? undefined
      : Math.round((machine - ours.reduce((x, y) => x + y, 0)) * 1000) / 1000;
  // The server's main thread (the event loop) and its other threads (worker threads such as the sending thread and
  // the JWT signers, the libuv pool where WebCrypto signs, V8's GC and compiler threads), in all, each (largest
  // first, those that used none left out) and the busiest one.
  // (Threads that ended during the phase are missing from the split, not from serverCpuSeconds.)
  let mainThread;
  let otherThreads;
  let eachOtherThread;
  if (a.serverThreads !== undefined && b.serverThreads !== undefined) {
    const used = (tid) => (b.serverThreads.get(tid) ?? 0) - (a.serverThreads.get(tid) ?? 0);
    const others = [...b.serverThreads.keys()].filter((tid) => tid !== b.serverPid).map(used);
    const r3 = (x) => Math.round(x * 1000) / 1000;
    mainThread = r3(used(b.serverPid));
    otherThreads = r3(others.reduce((x, y) => x + y, 0));
    eachOtherThread = others
      .filter((x) => x > 0)
      .sort((x, y) => y - x)
      .map(r3);
  }
  return {
    wallSeconds: Math.round(wall * 1000) / 1000,
    serverCpuSeconds: ours[0],
    serverMainThreadCpuSeconds: mainThread,
    serverOtherThreadsCpuSeconds: otherThreads,
    serverEachOtherThreadCpuSeconds: eachOtherThread,
    serverBusiestOtherThreadCpuSeconds: eachOtherThread === undefined ? undefined : (eachOtherThread[0] ?? 0),
    receiverCpuSeconds: ours[1],
    benchCpuSeconds: ours[2],
    otherProcessesCpuSeconds: others,
  };
}

/** "main thread 0.65 · other threads 0.80 (busiest 0.17) cores" for a phase. */
export function serverThreadsLabel(cpu) {
  if (cpu?.serverMainThreadCpuSeconds === undefined) return "";
  const cores = (s) => fmt(s / cpu.wallSeconds, 2);
  return `main thread ${cores(cpu.serverMainThreadCpuSeconds)} · other threads ${cores(cpu.serverOtherThreadsCpuSeconds)} (busiest ${cores(cpu.serverBusiestOtherThreadCpuSeconds)}) cores`;
}

/** Cores other processes used during a phase (undefined off Linux). */
export const otherCores = (cpu) =>
  cpu?.otherProcessesCpuSeconds === undefined ? undefined : Math.max(0, cpu.otherProcessesCpuSeconds / cpu.wallSeconds);

// ---------------------------------------------------------------------------------------------- report helpers
export const fmt = (n, digits = 0) =>
  n === undefined || Number.isNaN(n)
    ? "n/a"
    : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function othersLabel(cpu) {
  const cores = otherCores(cpu);
  return cores === undefined ? "" : `others ${fmt(cores, 2)} cores${cores > NOISY_CORES ? " !" : ""}`;
}

/** The `meta` of a results file: what ran where, and how busy the machine was. */
export const runMeta = () => ({
  git: gitDescribe(),
  node: process.version,
  cpus: cpus().length,
  loadAvgAtStart: loadavg(),
  startedAt: new Date().toISOString(),
});

/** A progress logger to stderr: `[name 1.2s] msg`, seconds since `t0`. */
export const logger = (name, t0) => (msg) =>
  process.stderr.write(`[${name} ${((now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

/** Runs `fn`; if it throws, prints the tail of the server's output first. */
export async function withServerOutput(server, fn) {
  try {
    return await fn();
  } catch (err) {
    process.stderr.write(`\nserver output (tail):\n${server.output().slice(-2000)}\n`);
    throw err;
  }
}

/**
 * Stamps the run's total time on `results`, writes them to bench/results/`fileName`, prints the report and the file.
 */
export function saveResults(fileName, results, t0, printReport) {
  results.totalSeconds = Math.round(now() - t0) / 1000;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, fileName);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  printReport(results);
  console.log(`  results: ${relative(process.cwd(), file)} (total ${results.totalSeconds}s)`);
}

export function gitDescribe() {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--", "packages"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return `${commit}${dirty ? "+dirty" : ""}`;
  } catch {
    return "unknown";
  }
}

/**
 * The report's warning for phases during which other processes used > NOISY_CORES (pushed onto `lines` if there are
 * any).
 */
export function warnDisturbed(lines, disturbedPhases, advice = "") {
  if (disturbedPhases.length > 0)
    lines.push(
      `  ! other processes used > ${NOISY_CORES} cores during: ${disturbedPhases.join(", ")}; treat those numbers as noisy${advice}`,
    );
}

/** A report line: label, value, note. */
export const row = (lines, label, value, note = "") =>
  lines.push(`  ${label.padEnd(46)} ${String(value).padStart(24)}   ${note}`);
