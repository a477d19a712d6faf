// Summarizes a V8 .cpuprofile (from `BENCH_PROFILE=1 npm run bench`): self time by function and by file,
// and inclusive (total) time, optionally for one phase of the run only.
//   node bench/profile-summary.mjs FILE.cpuprofile [--phase endToEnd|paced|create] [--top 25] [--results bench/results/latest.json]
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const top = Number(opt("top", 25));
const phaseName = opt("phase", undefined);
const resultsFile = opt("results", new URL("./results/latest.json", import.meta.url).pathname);
const [file] = args;
if (!file) {
  console.error("usage: node bench/profile-summary.mjs FILE.cpuprofile [--phase NAME] [--top N] [--results FILE]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8"));
// Phase windows are CLOCK_MONOTONIC microseconds, the clock of the profile's timestamps.
let window = [-Infinity, Infinity];
if (phaseName !== undefined) {
  const phase = JSON.parse(readFileSync(resultsFile, "utf8")).phases?.[phaseName];
  if (!phase) throw new Error(`no phase "${phaseName}" in ${resultsFile}`);
  window = [phase.startUs, phase.endUs];
}
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the sample deltas.
const selfUs = new Map();
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t < window[0] || t > window[1]) continue;
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
const short = (url) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*\/node_modules\//, "~/")
    .replace(/.*\/packages\//, "packages/");
const key = (n) =>
  `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const bySelf = new Map();
const byFile = new Map();
const inclusive = new Map();
for (const [id, us] of selfUs) {
  const n = nodes.get(id);
  bySelf.set(key(n), (bySelf.get(key(n)) ?? 0) + us);
  const f = short(n.callFrame.url) || `(${n.callFrame.functionName})`;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
  // Inclusive: charge every distinct frame on the stack once.
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(nodes.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}
const pct = (us) => `${((us / totalUs) * 100).toFixed(1).padStart(5)}%`;
const print = (title, map) => {
  console.log(`\n${title}`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
};
console.log(`${file}${phaseName ? ` (phase ${phaseName})` : ""}: ${(totalUs / 1e6).toFixed(2)} s sampled`);
print("self time by function", bySelf);
print("self time by file", byFile);
print("inclusive time by function", inclusive);
