// Long-running load for the bounded-resource benches (wal.mjs, retention.mjs): operations created and completed
// in a closed loop (as fast as the server answers) or on a paced schedule, a /healthz prober, and /metrics
// series with their labels (histogram buckets, counters by resource).
import { request } from "undici";
import { now, sleep, summarize } from "./lib.mjs";
import { completeOperation } from "./harness.mjs";

/** One operation's life as a client sees it: created, then completed (its event is the delivery). */
async function createAndComplete(api) {
  const op = await api.call("POST", "/v1/operations", { type: "bench" });
  await completeOperation(api, op.name.slice("operations/".length));
}

/**
 * `concurrency` loops of create-then-complete for `seconds`: the most the server accepts. Resolves with the
 * completes done and the failures.
 */
export async function closedLoop(api, { concurrency, seconds }) {
  const end = now() + seconds * 1000;
  let completed = 0;
  const failures = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() < end) {
        try {
          await createAndComplete(api);
          completed++;
        } catch (err) {
          failures.push(err.message);
          await sleep(10);
        }
      }
    }),
  );
  return { completed, failures: failures.length, failureSamples: failures.slice(0, 3) };
}

/**
 * Starts one create-then-complete every 1000/`rate` ms on an absolute schedule for `seconds` (turns due while the
 * loop slept go at once), with at most `maxInFlight` unfinished: a turn that finds them all busy is skipped and
 * counted, so a server that falls behind shows as skipped turns, never as a client queue. `onSecond` is called
 * about once a second. Resolves with the counts.
 */
export async function pacedLoad(api, { rate, seconds, maxInFlight, onSecond = () => {} }) {
  const start = now();
  const total = Math.round(rate * seconds);
  let started = 0;
  let completed = 0;
  let skipped = 0;
  let inFlight = 0;
  const failures = [];
  let nextSecond = start + 1000;
  while (started + skipped < total) {
    const due = Math.min(total, Math.floor(((now() - start) * rate) / 1000) + 1);
    while (started + skipped < due) {
      if (inFlight >= maxInFlight) {
        skipped++;
        continue;
      }
      started++;
      inFlight++;
      createAndComplete(api).then(
        () => {
          inFlight--;
          completed++;
        },
        (err) => {
          inFlight--;
          failures.push(err.message);
        },
      );
    }
    if (now() >= nextSecond) {
      nextSecond += 1000;
      onSecond({ started, completed, skipped });
    }
    await sleep(Math.max(1, Math.min(20, 1000 / rate)));
  }
  while (inFlight > 0) await sleep(5);
  const wallSeconds = (now() - start) / 1000;
  return {
    rate,
    seconds,
    started,
    completed,
    skipped,
    achievedCompletesPerSecond: Math.round((completed / wallSeconds) * 10) / 10,
    failures: failures.length,
    failureSamples: failures.slice(0, 3),
  };
}

/**
 * Asks GET /healthz every `everyMs` (one at a time, on a connection of its own) until stopped: a round trip far
 * above the period is the event loop blocked (or the machine busy). Resolves, when stopped, with their summary and
 * the round trips of `stallMs` or more with their times.
 */
export function healthzProbe(url, { everyMs = 10, stallMs = 100 } = {}) {
  const rtts = [];
  const stalls = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = now();
      try {
        const res = await request(`${url}/healthz`);
        await res.body.text();
      } catch {
        /* the server is gone: its round trip still counts */
      }
      const rtt = now() - t;
      rtts.push(rtt);
      if (rtt >= stallMs) stalls.push({ at: Math.round(t), ms: Math.round(rtt * 10) / 10 });
      await sleep(everyMs);
    }
  })();
  return async () => {
    running = false;
    await loop;
    return { everyMs, stallMs, roundTripMs: summarize(rtts), stalls: stalls.length, stallSamples: stalls.slice(-50) };
  };
}

/** Every sample on a server's GET /metrics: `{name, labels (the text inside {}), value}`. */
export async function metricSeries(url) {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  const series = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (m) series.push({ name: m[1], labels: m[2] ?? "", value: Number(m[3]) });
  }
  return series;
}

/** A histogram from metricSeries(): count, sum, and its cumulative buckets `[[le, count], …]`. */
export function histogram(series, name) {
  const value = (suffix) => series.find((s) => s.name === `${name}_${suffix}`)?.value;
  const buckets = series
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => [/le="([^"]+)"/.exec(s.labels)?.[1], s.value]);
  return { count: value("count"), sum: value("sum"), buckets };
}

/** The smallest bucket bound that holds every observation of a histogram (an upper bound on its max). */
export function histogramMaxBound({ count, buckets }) {
  if (!count) return undefined;
  const [le] = buckets.find(([, c]) => c >= count) ?? ["+Inf"];
  return le === "+Inf" ? Infinity : Number(le);
}

/** A counter's values by one label: `{labelValue: value}`. */
export function byLabel(series, name, label) {
  const out = {};
  for (const s of series.filter((x) => x.name === name)) {
    const key = new RegExp(`${label}="([^"]*)"`).exec(s.labels)?.[1] ?? "";
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}
