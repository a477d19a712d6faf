// Small helpers shared by the benchmark scripts.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** An option's number from the environment, `fallback` when unset; `accepts` says which numbers it takes. */
function numberEnv(name, fallback, accepts, expected) {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!accepts(n)) throw new Error(`${name}=${text}: expected ${expected}`);
  return n;
}

/** A size, rate or length: a positive number. */
export const intEnv = (name, fallback) =>
  numberEnv(name, fallback, (n) => Number.isFinite(n) && n > 0, "a positive number");

/** A count that may be 0 (a phase to skip): a non-negative integer. */
export const countEnv = (name, fallback) =>
  numberEnv(name, fallback, (n) => Number.isInteger(n) && n >= 0, "0 or a positive integer");

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x) => Math.round(x * 100) / 100;
  return {
    count: sorted.length,
    min: round(sorted[0] ?? NaN),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1)),
  };
}

/** Runs `fn(item, index)` over `items` with at most `concurrency` in flight. */
export async function forEachConcurrent(items, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

let ticks;
/** Clock ticks per second (the unit of /proc's CPU times); throws where `getconf` is missing. */
export const clockTicks = () =>
  (ticks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100);

/** CPU seconds (user + system) from a /proc `stat` file of a process or a thread (Linux); throws elsewhere. */
export function statCpuSeconds(file) {
  const ticksPerSecond = clockTicks();
  const stat = readFileSync(file, "utf8");
  // The command name may hold spaces; fields after it are space-separated (utime = 14th, stime = 15th).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
export function processCpuSeconds(pid) {
  try {
    return statCpuSeconds(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
}

/** The CPU seconds this process's main thread has used (Linux: /proc/self/task/PID/stat); undefined elsewhere. */
export function mainThreadCpuSeconds() {
  try {
    return statCpuSeconds(`/proc/self/task/${process.pid}/stat`);
  } catch {
    return undefined;
  }
}

/**
 * What a process has written so far, from /proc/PID/io (Linux; all its threads): `writeBytes`, the bytes it sent
 * to the storage layer (counted as page-cache pages turn dirty), and `wchar`, the bytes its write calls passed
 * (page cache, pipes and sockets alike). Undefined elsewhere, or once it has exited.
 */
export function processIo(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/io`, "utf8");
    const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1]);
    return { writeBytes: field("write_bytes"), wchar: field("wchar") };
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat; undefined elsewhere. */
export function machineBusyCpuSeconds() {
  try {
    const ticksPerSecond = clockTicks();
    const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/**
 * This process's `now()` (performance clock, epoch ms) minus `Date.now()` (the clock the server stamps RFC 3339
 * times with), measured at a millisecond edge of Date.now(): one sample.
 */
export function perfMinusWallSample() {
  const w0 = Date.now();
  let at;
  let wall;
  do {
    at = now();
    wall = Date.now();
  } while (wall === w0);
  return at - wall;
}

/** perfMinusWallSample(), the median of five. */
export function perfMinusWallMs() {
  const samples = Array.from({ length: 5 }, perfMinusWallSample);
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)];
}

/** A child process spoken to over IPC: `call(type, extra)` resolves with the reply carrying the same seq. */
export class IpcChild {
  constructor(proc) {
    this.proc = proc;
    this.seq = 0;
    this.waiters = new Map();
    this.events = [];
    this.eventWaiters = [];
    proc.on("message", (msg) => {
      if (msg.seq !== undefined && this.waiters.has(msg.seq)) {
        const resolve = this.waiters.get(msg.seq);
        this.waiters.delete(msg.seq);
        resolve(msg);
        return;
      }
      this.events.push(msg);
      for (const w of [...this.eventWaiters]) w();
    });
  }

  call(type, extra = {}) {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiters.set(seq, resolve);
      this.proc.send({ type, seq, ...extra }, (err) => err && reject(err));
    });
  }

  /**
   * Resolves with the first unsolicited message of `type` (already received or still to come), or undefined at the
   * timeout.
   */
  waitEvent(type, timeoutMs) {
    return new Promise((resolve) => {
      const check = () => {
        const i = this.events.findIndex((m) => m.type === type);
        if (i < 0) return false;
        const [msg] = this.events.splice(i, 1);
        done(msg);
        return true;
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const waiter = () => check();
      const done = (msg) => {
        clearTimeout(timer);
        this.eventWaiters = this.eventWaiters.filter((w) => w !== waiter);
        resolve(msg);
      };
      if (!check()) this.eventWaiters.push(waiter);
    });
  }

  clearEvents() {
    this.events = [];
  }
}
