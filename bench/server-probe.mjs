// Optional instrumentation loaded INTO the server process (`node --import bench/server-probe.mjs ...`) when
// the benchmark runs with BENCH_PROBE=1. It does not change the server's code: it wraps better-sqlite3's
// prepare/run/get/all to time each SQL statement (transactions' BEGIN/COMMIT included), watches event-loop
// delay and GC pauses, and answers `probe-reset` / `probe-report` messages over the IPC channel. With
// BENCH_PROBE_ALLOC=1 it also samples the main thread's allocations (V8's sampling heap profiler, counting objects
// that die young too), so a phase reports the bytes it allocated by function: what the scavenger and V8's helper
// threads then pay for.
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";

if (typeof process.send === "function") {
  // Resolve better-sqlite3 exactly as the server package does, so that we patch the same module instance.
  const require = createRequire(join(process.cwd(), "packages/server/package.json"));
  const Database = require("better-sqlite3");

  let sql = new Map();
  const keys = new Map();
  const keyOf = (method, source) => {
    let key = keys.get(method + source);
    if (key === undefined) {
      key = `${method} ${source.replace(/\s+/g, " ").trim().slice(0, 90)}`;
      keys.set(method + source, key);
    }
    return key;
  };
  const record = (key, ms) => {
    let s = sql.get(key);
    if (s === undefined) {
      s = { count: 0, totalMs: 0, maxMs: 0, over5ms: 0 };
      sql.set(key, s);
    }
    s.count++;
    if (ms > 5) s.over5ms++;
    s.totalMs += ms;
    if (ms > s.maxMs) s.maxMs = ms;
  };

  const probe = new Database(":memory:");
  const statementProto = Object.getPrototypeOf(probe.prepare("SELECT 1"));
  probe.close();
  for (const method of ["run", "get", "all"]) {
    const original = statementProto[method];
    statementProto[method] = function timed(...args) {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = performance.now() - t;
        record(keyOf(method, this.source), ms);
      }
    };
  }
  const originalPrepare = Database.prototype.prepare;
  Database.prototype.prepare = function timedPrepare(source) {
    const t = performance.now();
    try {
      return originalPrepare.call(this, source);
    } finally {
      const ms = performance.now() - t;
      record(keyOf("prepare", source), ms);
    }
  };

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let gc = { count: 0, totalMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      if (e.duration > gc.maxMs) gc.maxMs = e.duration;
    }
  }).observe({ entryTypes: ["gc"] });

  const sampleAllocations = process.env.BENCH_PROBE_ALLOC === "1";
  const inspector = sampleAllocations ? new Session() : undefined;
  inspector?.connect();
  const startSampling = () =>
    inspector.post("HeapProfiler.startSampling", {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  if (sampleAllocations) await startSampling();
  /** Bytes allocated since the last reset, in all and by function (sampled: each sample stands for its size). */
  const allocations = async () => {
    const { profile } = await inspector.post("HeapProfiler.stopSampling");
    await startSampling();
    const byFunction = new Map();
    let total = 0;
    const walk = (node) => {
      const { functionName, url, lineNumber } = node.callFrame;
      const where = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(node_modules|dist)\//, "~$1/")}:${lineNumber + 1}`;
      byFunction.set(where, (byFunction.get(where) ?? 0) + node.selfSize);
      total += node.selfSize;
      for (const child of node.children) walk(child);
    };
    walk(profile.head);
    const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25);
    return { bytes: total, top: top.map(([where, bytes]) => ({ where, bytes })) };
  };

  const round = (x) => Math.round(x * 1000) / 1000;
  process.on("message", async (msg) => {
    if (msg?.type === "probe-reset") {
      sql = new Map();
      gc = { count: 0, totalMs: 0, maxMs: 0 };
      loop.reset();
      if (sampleAllocations) await allocations();
      process.send({ type: "probe-reset-ok", seq: msg.seq });
    } else if (msg?.type === "probe-report") {
      const statements = [...sql]
        .map(([key, s]) => ({
          key,
          count: s.count,
          totalMs: round(s.totalMs),
          meanMs: round(s.totalMs / s.count),
          maxMs: round(s.maxMs),
          over5ms: s.over5ms,
        }))
        .sort((a, b) => b.totalMs - a.totalMs);
      // The histogram holds whole timer intervals; subtract the 5 ms resolution to leave the delay.
      const ms = (ns) => round(Math.max(0, ns / 1e6 - 5));
      process.send({
        type: "probe-report",
        seq: msg.seq,
        statements,
        sqlTotalMs: round(statements.reduce((a, s) => a + s.totalMs, 0)),
        eventLoopDelayMs: {
          p50: ms(loop.percentile(50)),
          p90: ms(loop.percentile(90)),
          p99: ms(loop.percentile(99)),
          max: ms(loop.max),
        },
        gc: { count: gc.count, totalMs: round(gc.totalMs), maxMs: round(gc.maxMs) },
        ...(sampleAllocations ? { allocations: await allocations() } : {}),
      });
    }
  });
  process.channel?.unref();
}
