// CPU per event by stage, from a server CPU profile of `BENCH_PROFILE=1 node bench/run.mjs` (issue 16): each sample
// goes to the stage of the innermost frame on its stack that belongs to one (a socket write under undici is the
// sender's, under Fastify's reply the HTTP layer's; a better-sqlite3 call is the store's whoever made it).
//   node bench/profile-stages.mjs FILE.cpuprofile… [--phase endToEnd|relayEndToEnd|floorEndToEnd] [--results bench/results/latest.json] [--detail N]
// --detail N: also the N functions with the most self time in each stage. Give the server's every profile (its
// threads': the main one, the sending thread, the WAL checkpoint's) to count all its CPU: /proc counts every thread.
// µs/event: the stage's share of the busy samples × the server CPU per event /proc measured over the phase (the
// profile's samples are wall-clock ticks, so a busy machine's preemptions inflate them; the shares hold).
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const phaseName = opt("phase", "endToEnd");
const detail = Number(opt("detail", 0));
const resultsFile = opt("results", new URL("./results/latest.json", import.meta.url).pathname);
const files = args;
if (files.length === 0) {
  console.error("usage: node bench/profile-stages.mjs FILE.cpuprofile… [--phase NAME] [--results FILE] [--detail N]");
  process.exit(2);
}

/** Stages, tried on each frame from the innermost out; the first that matches the frame takes the sample. */
const STAGES = [
  ["GC", (f) => f.functionName === "(garbage collector)"],
  ["logging", (f) => /\/(pino|@pinojs|sonic-boom|fast-redact)\/|\/observability\/log|state-changes\.js/.test(f.url)],
  ["metrics", (f) => /\/prom-client\/|\/observability\/metrics\.js|boot\/observability\.js/.test(f.url)],
  ["tracing", (f) => /@opentelemetry|observability\/tracing\.js/.test(f.url)],
  ["store (SQL, better-sqlite3)", (f) => /\/better-sqlite3\/|\/dist\/store\/|\/bench\/floor\/store\.mjs/.test(f.url)],
  ["sender + signing", (f) => /\/undici\/|\/delivery\/(sender|attempts)\.js|\/signing\//.test(f.url)],
  ["engine", (f) => /\/delivery\/|\/core\/(deliveries|attempt-stats|retry-schedule)\.js/.test(f.url)],
  ["auth", (f) => /\/http\/auth\.js|\/services\/projects\.js|\/crypto\/api-keys\.js|rate-limit\.js/.test(f.url)],
  [
    "service + outbox",
    (f) => /\/services\/|\/runtime\/natural-batcher\.js|\/core\/(operations|events|fanout|ids)\.js/.test(f.url),
  ],
  [
    "HTTP (Fastify, validation, views)",
    (f) =>
      /\/fastify\/|\/@fastify\/|find-my-way|\/ajv\/|\/dist\/http\/|node:_http_server|node:_http_incoming/.test(f.url),
  ],
];
// The relay's and the floor's own handler, dispatch loop and signing live in one file each.
STAGES.push(["peer's own code (relay, floor)", (f) => /\/bench\/(relay|floor\/server)\.mjs/.test(f.url)]);
const OTHER = "other (promises, timers, sockets' shared code)";

const results = JSON.parse(readFileSync(resultsFile, "utf8"));
const phase = results.phases?.[phaseName];
if (!phase) throw new Error(`no phase "${phaseName}" in ${resultsFile}`);
/** The phase's measured figures: the server's, or the peer's whose profile this is (relay.cpuprofile, floor.cpuprofile). */
const MEASURED = {
  endToEnd: results.endToEnd,
  relayEndToEnd: results.relay?.endToEnd,
  floorEndToEnd: results.floor?.endToEnd,
};
const measured = MEASURED[phaseName] ?? results[phaseName];
const cpuPerEventUs = (measured.cpu.serverCpuSeconds / measured.events) * 1e6;

/** The checkpoint thread's samples are its own row (its pragma calls would otherwise count as the store's). */
const CHECKPOINT = "the WAL checkpoint thread";
const byStage = new Map([...STAGES.map(([name]) => [name, 0]), [OTHER, 0], [CHECKPOINT, 0]]);
/** Busy time per profile: Node writes one per thread, numbering the main thread's first. */
const byThread = new Map();
const short = (url) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*\/node_modules\//, "~/")
    .replace(/.*\/dist\//, "");
/** Per stage, self time by function. */
const functions = new Map();
let busyUs = 0;
for (const file of [...files].sort()) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const checkpointThread = profile.nodes.some((n) => /\/store\/sqlite\/checkpoint-worker\.js/.test(n.callFrame.url));
  const stageOfNode = (id) => {
    if (checkpointThread) return CHECKPOINT;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const match = STAGES.find(([, test]) => test(nodes.get(cur).callFrame));
      if (match) return match[0];
    }
    return OTHER;
  };
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < phase.startUs || t > phase.endUs) continue;
    const id = profile.samples[i];
    if (nodes.get(id).callFrame.functionName === "(idle)") continue;
    const us = profile.timeDeltas[i] ?? 0;
    busyUs += us;
    byThread.set(file, (byThread.get(file) ?? 0) + us);
    const stage = stageOfNode(id);
    byStage.set(stage, byStage.get(stage) + us);
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const fn = `${functionName || "(anonymous)"} ${short(url)}:${lineNumber + 1}`;
    if (!functions.has(stage)) functions.set(stage, new Map());
    functions.get(stage).set(fn, (functions.get(stage).get(fn) ?? 0) + us);
  }
}

console.log(
  `${files.join(", ")} (phase ${phaseName}): ${measured.events} events, server CPU ${cpuPerEventUs.toFixed(0)} µs/event (/proc, all threads)`,
);
console.log("  stage                                   share   µs/event");
for (const [stage, us] of [...byStage].sort((a, b) => b[1] - a[1])) {
  const share = us / busyUs;
  console.log(
    `  ${stage.padEnd(38)} ${(share * 100).toFixed(1).padStart(5)}%  ${(share * cpuPerEventUs).toFixed(0).padStart(6)}`,
  );
}
// A thread's busy ticks per event: the main thread's bounds what one process can do when a core is free.
console.log("  thread (busy ticks per event)");
for (const [file, us] of byThread)
  console.log(`  ${file.padEnd(60)} ${(us / measured.events).toFixed(0).padStart(6)} µs`);
for (const [stage, byFunction] of detail > 0 ? functions : []) {
  console.log(`\n${stage}`);
  for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, detail))
    console.log(`  ${((us / busyUs) * cpuPerEventUs).toFixed(1).padStart(6)} µs  ${fn}`);
}
