// Tenants cannot hurt each other (issue 17): what one project's abuse costs the server, measured. The test suite
// checks the mechanisms (a stream's buffer is bounded, a stream is dropped with a last comment, caps refuse);
// this measures what they are for: memory and responsiveness. See bench/README.md.
//
//   npm run build && node bench/tenants.mjs      (about a minute)
//
// Two phases, each on a fresh server (`TIDINGS_DEV=1`, SQLite in a temp dir) with the bench receiver:
//   1. streams: BENCH_TENANTS_READERS (4) connections to GET /v1/events:stream that never read a byte, while
//      BENCH_TENANTS_STREAM_MB (60) MB of events flow: custom operations completed with ~900 KB of user_metadata
//      each (delivered to the receiver as dynamic webhooks). The server's RSS is sampled every 100 ms, from a
//      2-second idle baseline; GET /healthz is asked every 10 ms meanwhile. Target: RSS grows by less than 250 MB,
//      and the server answers throughout.
//   2. fan-out: one project with BENCH_TENANTS_WEBHOOKS (500) static webhooks; BENCH_TENANTS_COMPLETES (10)
//      completes at once, BENCH_TENANTS_WEBHOOKS × BENCH_TENANTS_COMPLETES deliveries. GET /healthz every 10 ms
//      from just before the completes until their deliveries are in. Target: no /healthz round trip of 300 ms or more.
//   3. revocation: two `tidings serve --role api` processes on one PostgreSQL schema (BENCH_PG_URL). A key minted
//      on the first is used on both (so each remembers it), revoked on the first, and asked for on the second every
//      5 ms: the time from the revocation's answer to the second's first 401, BENCH_TENANTS_REVOCATIONS (20) times.
//      Target: under a second.
// BENCH_TENANTS_PHASES (streams,fanout,revocation) picks phases: `BENCH_SERVER_CLI=… BENCH_TENANTS_PHASES=streams`
// measures another build (one without the stream's bound, say) on the first.
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { Pool } from "undici";
import { forEachConcurrent, intEnv, now, sleep, summarize } from "./lib.mjs";
import { createSchema } from "./postgres.mjs";
import {
  API_KEY,
  ApiClient,
  fmt,
  logger,
  metricSum,
  row,
  rssMb,
  runMain,
  runMeta,
  saveResults,
  startProcesses,
  startServer,
  stopReceiver,
  stopServer,
  tempDir,
  withServerOutput,
} from "./harness.mjs";

const READERS = intEnv("BENCH_TENANTS_READERS", 4);
const STREAM_MB = intEnv("BENCH_TENANTS_STREAM_MB", 60);
const METADATA_BYTES = intEnv("BENCH_TENANTS_METADATA_BYTES", 900_000);
const WEBHOOKS = intEnv("BENCH_TENANTS_WEBHOOKS", 500);
const COMPLETES = intEnv("BENCH_TENANTS_COMPLETES", 10);
const PROBE_MS = intEnv("BENCH_TENANTS_PROBE_MS", 10);
const REVOCATIONS = intEnv("BENCH_TENANTS_REVOCATIONS", 20);
const ADMIN_KEY = `admin_bench_${randomBytes(8).toString("hex")}`;
const PHASES = (process.env.BENCH_TENANTS_PHASES ?? "streams,fanout,revocation").split(",").map((p) => p.trim());
const RSS_TARGET_MB = 250;
const HEALTHZ_TARGET_MS = 300;

/**
 * Asks GET /healthz every PROBE_MS ms, one at a time on a connection of its own, until stopped: the round trips
 * show how long the server's event loop is held.
 */
function healthProbe(url) {
  const pool = new Pool(url, { connections: 1, keepAliveTimeout: 30_000 });
  const rtts = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = now();
      try {
        const res = await pool.request({ method: "GET", path: "/healthz", headersTimeout: 10_000 });
        await res.body.text();
        if (res.statusCode === 200) rtts.push(now() - t);
        else failures += 1;
      } catch {
        failures += 1;
      }
      await sleep(PROBE_MS);
    }
  })();
  return async () => {
    running = false;
    await loop;
    await pool.close();
    const roundTripMs = summarize(rtts);
    return {
      periodMs: PROBE_MS,
      roundTripMs,
      atOrOver300: rtts.filter((r) => r >= HEALTHZ_TARGET_MS).length,
      failures,
    };
  };
}

/** Samples the server's RSS every 100 ms until stopped: the peak. */
function rssSampler(pid) {
  let peak = rssMb(pid) ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid) ?? 0)), 100);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/**
 * A connection that asks for the event stream and then reads nothing, ever (the kernel's buffers fill, then the
 * server's).
 */
function silentReader(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET /v1/events:stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\nx-goog-api-key: ${API_KEY}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

async function streams(log) {
  const { receiver, server } = await startProcesses(log, "tidings-bench-tenants-");
  const api = new ApiClient(server.url, 8);
  try {
    return await withServerOutput(server, async () => {
      await api.call("POST", "/v1/operations", { type: "warmup" });
      await sleep(2000);
      const idle = [];
      for (let i = 0; i < 20; i++) {
        idle.push(rssMb(server.proc.pid) ?? 0);
        await sleep(100);
      }
      const baselineMb = Math.max(...idle);
      const readers = await Promise.all(Array.from({ length: READERS }, () => silentReader(server.url)));
      await sleep(200);
      const events = Math.ceil((STREAM_MB * 1024 * 1024) / METADATA_BYTES);
      const body = {
        type: "export",
        webhook_config: { uris: [`${receiver.url}/hook`], user_metadata: { blob: "x".repeat(METADATA_BYTES) } },
      };
      log(
        `streams: ${READERS} readers that never read; ${events} events of ~${Math.round(METADATA_BYTES / 1000)} KB (${STREAM_MB} MB); RSS idle ${baselineMb} MB`,
      );
      const stopRss = rssSampler(server.proc.pid);
      const stopProbe = healthProbe(server.url);
      const started = now();
      await forEachConcurrent(Array.from({ length: events }), 4, async () => {
        const op = await api.call("POST", "/v1/operations", body);
        await api.call("POST", `/v1/${op.name}:complete`, {});
      });
      const flowSeconds = (now() - started) / 1000;
      await sleep(2000);
      const peakMb = stopRss();
      const probe = await stopProbe();
      const dropped = await metricSum(server.url, "tidings_limit_rejections_total", 'limit="stream_buffer"');
      for (const socket of readers) socket.destroy();
      log(
        `streams: peak RSS ${peakMb} MB (+${peakMb - baselineMb}), ${dropped} readers dropped, /healthz max ${fmt(probe.roundTripMs.max, 1)} ms`,
      );
      return {
        readers: READERS,
        events,
        megabytes: STREAM_MB,
        baselineMb,
        peakMb,
        growthMb: peakMb - baselineMb,
        flowSeconds,
        dropped,
        probe,
      };
    });
  } finally {
    await api.close();
    await stopServer(server);
    await stopReceiver(receiver);
  }
}

async function fanOut(log) {
  const { receiver, server } = await startProcesses(log, "tidings-bench-tenants-");
  const api = new ApiClient(server.url, 8);
  try {
    return await withServerOutput(server, async () => {
      await forEachConcurrent(Array.from({ length: WEBHOOKS }), 8, (_, i) =>
        api.call("POST", "/v1/webhooks", { uri: `${receiver.url}/hook/${i}`, subscribed_events: ["export.*"] }),
      );
      const ids = await Promise.all(
        Array.from(
          { length: COMPLETES },
          async () => (await api.call("POST", "/v1/operations", { type: "export" })).name,
        ),
      );
      const deliveries = WEBHOOKS * COMPLETES;
      await receiver.child.call("reset", { phase: "fan-out", expect: deliveries, verifyEvery: 1000 });
      log(`fan-out: ${WEBHOOKS} webhooks × ${COMPLETES} completes at once = ${deliveries} deliveries`);
      const stopProbe = healthProbe(server.url);
      await sleep(100);
      const started = now();
      await Promise.all(ids.map((name) => api.call("POST", `/v1/${name}:complete`, {})));
      const completesMs = now() - started;
      const deadline = now() + 120_000;
      let stats = await receiver.child.call("stats");
      while (stats.unique < deliveries && now() < deadline) {
        await sleep(100);
        stats = await receiver.child.call("stats");
      }
      const deliveredSeconds = (now() - started) / 1000;
      const probe = await stopProbe();
      log(
        `fan-out: completes answered in ${fmt(completesMs)} ms, ${stats.unique}/${deliveries} delivered in ${fmt(deliveredSeconds, 1)} s; /healthz max ${fmt(probe.roundTripMs.max, 1)} ms`,
      );
      return {
        webhooks: WEBHOOKS,
        completes: COMPLETES,
        deliveries,
        delivered: stats.unique,
        completesMs,
        deliveredSeconds,
        probe,
      };
    });
  } finally {
    await api.close();
    await stopServer(server);
    await stopReceiver(receiver);
  }
}

async function revocation(log) {
  const schema = await createSchema("tenants");
  const env = {
    TIDINGS_DATABASE_URL: schema.url,
    TIDINGS_MASTER_KEY: randomBytes(32).toString("base64"),
    TIDINGS_ADMIN_KEY: ADMIN_KEY,
    TIDINGS_ROLE: "api",
  };
  const a = await startServer(tempDir("tidings-bench-tenants-"), env);
  const b = await startServer(tempDir("tidings-bench-tenants-"), env);
  const [apiA, apiB] = [new ApiClient(a.url, 2), new ApiClient(b.url, 2)];
  try {
    const admin = { "x-goog-api-key": ADMIN_KEY };
    const project = await apiA.call("POST", "/v1/projects", { display_name: "bench" }, admin);
    log(`revocation: two API processes on schema ${schema.name}, ${REVOCATIONS} keys revoked`);
    const latencies = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const minted = await apiA.call("POST", `/v1/projects/${project.id}/apiKeys`, {}, admin);
      const asKey = { "x-goog-api-key": minted.key };
      for (const api of [apiA, apiB])
        if ((await api.raw("GET", "/v1/webhooks", undefined, asKey)).statusCode !== 200)
          throw new Error("minted key refused");
      await apiA.call("DELETE", `/v1/projects/${project.id}/apiKeys/${minted.id}`, undefined, admin);
      const revokedAt = now();
      while ((await apiB.raw("GET", "/v1/webhooks", undefined, asKey)).statusCode !== 401) {
        if (now() - revokedAt > 30_000) throw new Error("the second process still accepts a key revoked 30 s ago");
        await sleep(5);
      }
      latencies.push(now() - revokedAt);
    }
    const ms = summarize(latencies);
    log(`revocation: refused by the other process after p50 ${fmt(ms.p50, 1)} ms, max ${fmt(ms.max, 1)} ms`);
    return { revocations: REVOCATIONS, ms };
  } finally {
    await apiA.close();
    await apiB.close();
    await stopServer(a);
    await stopServer(b);
    await schema.drop();
  }
}

function report(r) {
  const lines = ["", `Tenants (${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} cores)`];
  const probeRow = (probe, note) =>
    row(
      lines,
      "GET /healthz meanwhile p50 / p99 / max (ms)",
      `${fmt(probe.roundTripMs.p50, 1)} / ${fmt(probe.roundTripMs.p99, 1)} / ${fmt(probe.roundTripMs.max, 1)}`,
      note,
    );
  const s = r.streams;
  if (s !== undefined) {
    lines.push(
      ` ${s.readers} event-stream readers that never read, ${s.megabytes} MB of events (${s.events} × ~${Math.round(METADATA_BYTES / 1000)} KB)`,
    );
    const verdict = s.growthMb < RSS_TARGET_MB ? "PASS" : "MISS";
    row(
      lines,
      "server RSS idle → peak (MB)",
      `${s.baselineMb} → ${s.peakMb}`,
      `grows ${s.growthMb} MB; target < ${RSS_TARGET_MB}: ${verdict}`,
    );
    row(
      lines,
      "readers dropped for falling behind",
      s.dropped ?? "n/a",
      "tidings_limit_rejections_total{limit=stream_buffer}",
    );
    probeRow(s.probe, `${s.probe.roundTripMs.count} asked, ${s.probe.failures} failed`);
  }
  const f = r.fanOut;
  if (f !== undefined) {
    lines.push(` fan-out: ${f.webhooks} webhooks × ${f.completes} completes at once = ${f.deliveries} deliveries`);
    row(
      lines,
      "the completes answered in (ms)",
      fmt(f.completesMs),
      `${f.delivered}/${f.deliveries} delivered in ${fmt(f.deliveredSeconds, 1)} s`,
    );
    const verdict = f.probe.atOrOver300 === 0 ? "PASS" : "MISS";
    probeRow(
      f.probe,
      `${f.probe.atOrOver300} of ${f.probe.roundTripMs.count} at ${HEALTHZ_TARGET_MS} ms or more; target 0: ${verdict}`,
    );
  }
  const v = r.revocation;
  if (v !== undefined) {
    lines.push(` a key revoked on one of two processes sharing PostgreSQL, ${v.revocations} times`);
    row(
      lines,
      "refused by the other after p50 / max (ms)",
      `${fmt(v.ms.p50, 1)} / ${fmt(v.ms.max, 1)}`,
      `target < 1000: ${v.ms.max < 1000 ? "PASS" : "MISS"}`,
    );
  }
  lines.push("");
  console.log(lines.join("\n"));
}

async function main() {
  const t0 = now();
  const log = logger("tenants", t0);
  const results = { meta: runMeta() };
  if (PHASES.includes("streams")) results.streams = await streams(log);
  if (PHASES.includes("fanout")) results.fanOut = await fanOut(log);
  if (PHASES.includes("revocation")) results.revocation = await revocation(log);
  saveResults("tenants.json", results, t0, report);
}

runMain(main);
