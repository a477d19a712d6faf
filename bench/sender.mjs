// The sender's own cost: CPU per request of the server's HttpSender beside a bare undici Pool, and what the sending
// thread costs and spares the main thread. See bench/README.md.
//
//   npm run build && node bench/sender.mjs
//   BENCH_SENDER_REQUESTS=5000 BENCH_SENDER_ROUNDS=3 node bench/sender.mjs     (a smoke run)
//
// One receiver (bench/receiver.mjs) in a child process answers 200 with an empty body. In this process, N requests
// (BENCH_SENDER_REQUESTS, default 20,000) go to it with the engine's per-endpoint concurrency in flight (16, read
// from the build's DEFAULT_ENGINE_OPTIONS), the same event-shaped, signed headers and body each time, through
//   (a) bare: one undici `Pool` (keep-alive, unbounded, as the sender's), `pool.request`, then `body.dump()`;
//   (b) sender: the build's `HttpSender.send` (SSRF guard, deadline, response handling: everything it does);
//   (c) threaded: the build's `ThreadedSender.send`, the same HttpSender on its own thread, as the server runs it
//       with a second core (builds before it have no such way).
// CPU per request is this process's (process.cpuUsage, every thread) over the run, and its main thread's alone
// (/proc). Ways take turns going first; after a warm-up of each, BENCH_SENDER_ROUNDS rounds (default 7). The row
// is the median of the rounds' sender ÷ bare.
import { createHmac } from "node:crypto";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Pool } from "undici";
import { intEnv, machineBusyCpuSeconds, mainThreadCpuSeconds, now, processCpuSeconds } from "./lib.mjs";
import {
  CLI,
  engineOptions,
  fmt,
  logger,
  NOISY_CORES,
  row,
  runMain,
  runMeta,
  saveResults,
  startReceiver,
  stopReceiver,
  warnDisturbed,
} from "./harness.mjs";

const REQUESTS = Math.round(intEnv("BENCH_SENDER_REQUESTS", 20_000));
const ROUNDS = Math.round(intEnv("BENCH_SENDER_ROUNDS", 7));
const WARMUP = Math.round(intEnv("BENCH_SENDER_WARMUP", 3000));
const TIMEOUT_MS = 10_000; // TIDINGS_DELIVERY_TIMEOUT_MS's default
const TARGET_RATIO = 1.2;

const log = logger("sender", now());

/** One event-shaped request, signed as the server signs (HMAC-SHA256 over id.timestamp.body). */
function eventRequest() {
  const id = "msg_2x9Qk3bVn7RtY5mWc8LpZ1sHdJf";
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: "bench.succeeded",
    version: "v1",
    timestamp: new Date().toISOString(),
    data: { id: `operations/${"0".repeat(36)}`, output_file_uri: "files/x" },
  });
  const signature = `v1,${createHmac("sha256", "bench-secret").update(`${id}.${timestamp}.${body}`).digest("base64")}`;
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "Tidings/bench",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature,
    },
  };
}

const dist = join(dirname(CLI), "..");
const load = (file) => import(pathToFileURL(join(dist, file)).href);

/** The build's ThreadedSender, allowed to reach the receiver on 127.0.0.1; undefined for builds without one. */
async function buildThreadedSender() {
  const { ThreadedSender } = await load("delivery/sender-thread/threaded-sender.js").catch(() => ({}));
  return ThreadedSender && new ThreadedSender({ allowedCidrs: ["127.0.0.0/8"], timeoutMs: TIMEOUT_MS });
}

/** The build's HttpSender, allowed to reach the receiver on 127.0.0.1. */
async function buildSender() {
  const [{ HttpSender }, { AddressPolicy }] = await Promise.all([
    load("delivery/sender.js"),
    load("net/address-policy.js"),
  ]);
  const policy = new AddressPolicy(["127.0.0.0/8"]);
  // Builds before the lean sender took positional arguments (policy, timeoutMs): an A/B run with BENCH_SERVER_CLI.
  if (HttpSender.length >= 2) return new HttpSender(policy, TIMEOUT_MS);
  const { systemClock } = await load("runtime/system-clock.js");
  return new HttpSender({ policy, timeoutMs: TIMEOUT_MS, clock: systemClock });
}

/** `count` calls of `sendOne`, `concurrency` in flight; this process's CPU and the machine's over them. */
async function drive(count, concurrency, sendOne, receiverPid) {
  let next = 0;
  let failures = 0;
  let firstFailure;
  const worker = async () => {
    while (next < count) {
      next++;
      const failure = await sendOne();
      if (failure !== undefined) {
        failures++;
        firstFailure ??= failure;
      }
    }
  };
  const machine0 = machineBusyCpuSeconds();
  const receiver0 = processCpuSeconds(receiverPid);
  const main0 = mainThreadCpuSeconds();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const mainSeconds = main0 === undefined ? undefined : mainThreadCpuSeconds() - main0;
  const ownSeconds = (cpu.user + cpu.system) / 1e6;
  const machine = machineBusyCpuSeconds();
  const receiver = processCpuSeconds(receiverPid);
  const others =
    machine0 === undefined || receiver0 === undefined
      ? undefined
      : machine - machine0 - ownSeconds - (receiver - receiver0);
  return {
    requests: count,
    failures,
    firstFailure,
    cpuUsPerRequest: Math.round(((ownSeconds * 1e6) / count) * 10) / 10,
    // The kernel's part (system) is mostly the socket writes and reads, the same work for both ways.
    userUsPerRequest: Math.round((cpu.user / count) * 10) / 10,
    systemUsPerRequest: Math.round((cpu.system / count) * 10) / 10,
    mainThreadUsPerRequest: mainSeconds === undefined ? undefined : Math.round(((mainSeconds * 1e6) / count) * 10) / 10,
    perSecond: Math.round((count / wallMs) * 1000),
    wallSeconds: Math.round(wallMs) / 1000,
    otherCores: others === undefined ? undefined : Math.round((Math.max(0, others) / (wallMs / 1000)) * 100) / 100,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main() {
  const t0 = now();
  const meta = runMeta();
  const { perEndpointConcurrency: concurrency } = await engineOptions();
  const receiver = await startReceiver();
  await receiver.child.call("reset", { phase: "sender", verifyEvery: 0 });
  const path = "/hook";
  const uri = `${receiver.url}${path}`;
  const { headers, body } = eventRequest();
  const pool = new Pool(receiver.url, { connections: null, keepAliveTimeout: 30_000 });
  const sender = await buildSender();
  const threaded = await buildThreadedSender();
  log(
    `receiver ${receiver.url} (pid ${receiver.proc.pid}); ${fmt(REQUESTS)} requests × ${ROUNDS} rounds per way, ${concurrency} in flight`,
  );

  const ways = {
    bare: async () => {
      const res = await pool.request({ method: "POST", path, headers, body });
      await res.body.dump();
      return res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`;
    },
    sender: async () => {
      const result = await sender.send({ uri, headers, body });
      return result.kind === "response" && result.statusCode === 200 ? undefined : JSON.stringify(result);
    },
    ...(threaded && {
      threaded: async () => {
        const result = await threaded.send({ uri, headers, body });
        return result.kind === "response" && result.statusCode === 200 ? undefined : JSON.stringify(result);
      },
    }),
  };
  const names = Object.keys(ways);
  const run = async (way, count) => {
    const r = await drive(count, concurrency, ways[way], receiver.proc.pid);
    if (r.failures > 0) throw new Error(`${way}: ${r.failures} of ${count} requests failed, first: ${r.firstFailure}`);
    return r;
  };

  try {
    for (const way of names) await run(way, WARMUP);
    const rounds = [];
    for (let i = 0; i < ROUNDS; i++) {
      const order = [...names.slice(i % names.length), ...names.slice(0, i % names.length)];
      const round = {};
      for (const way of order) round[way] = await run(way, REQUESTS);
      round.ratio = Math.round((round.sender.cpuUsPerRequest / round.bare.cpuUsPerRequest) * 1000) / 1000;
      rounds.push(round);
      log(
        `round ${i + 1}/${ROUNDS}: ${names.map((w) => `${w} ${fmt(round[w].cpuUsPerRequest, 1)} µs (user ${fmt(round[w].userUsPerRequest, 1)}, ${fmt(round[w].perSecond)}/s)`).join(", ")}: ${fmt(round.ratio, 2)}`,
      );
    }
    const ratio = median(rounds.map((r) => r.ratio));
    const results = {
      meta,
      config: { requests: REQUESTS, rounds: ROUNDS, warmup: WARMUP, concurrency, timeoutMs: TIMEOUT_MS, build: CLI },
      rounds,
      median: {
        bareCpuUsPerRequest: median(rounds.map((r) => r.bare.cpuUsPerRequest)),
        senderCpuUsPerRequest: median(rounds.map((r) => r.sender.cpuUsPerRequest)),
        bareUserUsPerRequest: median(rounds.map((r) => r.bare.userUsPerRequest)),
        senderUserUsPerRequest: median(rounds.map((r) => r.sender.userUsPerRequest)),
        bareRequestsPerSecond: median(rounds.map((r) => r.bare.perSecond)),
        senderRequestsPerSecond: median(rounds.map((r) => r.sender.perSecond)),
        senderMainThreadUsPerRequest: median(rounds.map((r) => r.sender.mainThreadUsPerRequest)),
        ...(threaded && {
          threadedCpuUsPerRequest: median(rounds.map((r) => r.threaded.cpuUsPerRequest)),
          threadedMainThreadUsPerRequest: median(rounds.map((r) => r.threaded.mainThreadUsPerRequest)),
          threadedRequestsPerSecond: median(rounds.map((r) => r.threaded.perSecond)),
        }),
      },
      ratio,
      maxOtherCores: Math.max(...rounds.flatMap((r) => [r.bare.otherCores ?? 0, r.sender.otherCores ?? 0])),
      target: TARGET_RATIO,
      pass: ratio <= TARGET_RATIO,
    };
    saveResults("sender.json", results, t0, report);
  } finally {
    await sender.close();
    await threaded?.close();
    await pool.close();
    await stopReceiver(receiver);
  }
}

function report(r) {
  const lines = [
    "",
    `Sender CPU per request ÷ a bare undici Pool — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} cpus, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")}`,
    `  ${fmt(r.config.requests)} requests per way and round, ${r.config.concurrency} in flight, ${r.config.rounds} rounds (medians)`,
  ];
  row(
    lines,
    "bare Pool.request + body.dump()",
    `${fmt(r.median.bareCpuUsPerRequest, 1)} µs`,
    `user ${fmt(r.median.bareUserUsPerRequest, 1)} µs, ${fmt(r.median.bareRequestsPerSecond)}/s`,
  );
  row(
    lines,
    "HttpSender.send",
    `${fmt(r.median.senderCpuUsPerRequest, 1)} µs`,
    `user ${fmt(r.median.senderUserUsPerRequest, 1)} µs, ${fmt(r.median.senderRequestsPerSecond)}/s`,
  );
  if (r.median.threadedCpuUsPerRequest !== undefined) {
    row(
      lines,
      "ThreadedSender.send (the sending thread)",
      `${fmt(r.median.threadedCpuUsPerRequest, 1)} µs`,
      `${fmt(r.median.threadedRequestsPerSecond)}/s`,
    );
    row(
      lines,
      "  main thread's CPU per request: inline / threaded",
      `${fmt(r.median.senderMainThreadUsPerRequest, 1)} / ${fmt(r.median.threadedMainThreadUsPerRequest, 1)} µs`,
    );
  }
  row(
    lines,
    "sender ÷ bare (median of the rounds' ratios)",
    fmt(r.ratio, 2),
    `target ≤ ${r.target}: ${r.pass ? "PASS" : "MISS"}`,
  );
  row(lines, "rounds", r.rounds.map((x) => fmt(x.ratio, 2)).join(" "));
  const disturbed = r.rounds.flatMap((x, i) =>
    Object.keys(x)
      .filter((w) => w !== "ratio" && (x[w].otherCores ?? 0) > NOISY_CORES)
      .map((w) => `round ${i + 1} ${w}`),
  );
  warnDisturbed(lines, disturbed);
  console.log(lines.join("\n"));
}

runMain(main);
