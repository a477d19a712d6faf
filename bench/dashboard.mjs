// Dashboard page times with 1,000 and with 100,000 deliveries in the store (issue 9: within 2×).
//
//   node bench/dashboard.mjs                       # after a build (npm run build); ~1–2 min, most of it seeding
//   BENCH_SMALL=1000 BENCH_LARGE=100000 BENCH_REQUESTS=30 node bench/dashboard.mjs
//
// For each size: a fresh server (SQLite in a temp dir), one webhook, and that many events, each with one
// delivery to it, seeded through the store (events.insert, deliveries.insert, deliveries.settle, so the
// per-minute tallies are written as the engine writes them), spread over the last 20 hours; one in ten
// failed after two attempts. Then every dashboard page is fetched BENCH_REQUESTS times after a warm-up,
// signed in as a browser would be, and the median time of each is compared across the two sizes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { loadConfig } from "../packages/server/dist/config.js";
import { newEventId, newResourceId } from "../packages/server/dist/core/ids.js";
import { freePort } from "../packages/server/dist/net/free-port.js";
import { startServer } from "../packages/server/dist/server.js";
import { intEnv, summarize } from "./lib.mjs";

const SMALL = intEnv("BENCH_SMALL", 1_000);
const LARGE = intEnv("BENCH_LARGE", 100_000);
const REQUESTS = intEnv("BENCH_REQUESTS", 30);
const KEY = "bench-dashboard-key-0123456789";
const HOUR = 3_600_000;
const CHUNK = 1_000;

async function seed(server, webhookId, count) {
  const { store, projectId } = server;
  const start = Date.now() - 20 * HOUR;
  const step = (20 * HOUR) / count;
  for (let from = 0; from < count; from += CHUNK) {
    await store.transaction(async (tx) => {
      const settlements = [];
      const attempts = [];
      const events = [];
      const deliveries = [];
      for (let i = from; i < Math.min(count, from + CHUNK); i++) {
        const at = Math.round(start + i * step);
        const type = i % 2 === 0 ? "export.succeeded" : "report.failed";
        const operation = `operations/op${i}`;
        const event = {
          id: newEventId(),
          projectId,
          type,
          operation,
          payload: { type, version: "v1", timestamp: new Date(at).toISOString(), data: { id: operation } },
          createdAt: at,
        };
        events.push(event);
        const id = newResourceId();
        deliveries.push({
          id,
          projectId,
          eventId: event.id,
          webhookId,
          uri: "https://hooks.example.com/x",
          endpointKey: `webhook:${webhookId}`,
          state: "pending",
          attemptCount: 0,
          nextAttemptAt: at,
          windowStartAt: at,
          createdAt: at,
          updatedAt: at,
        });
        const failed = i % 10 === 9;
        const headers = {
          "webhook-id": event.id,
          "webhook-timestamp": String(Math.floor(at / 1000)),
          "webhook-signature": "v1,seeded",
        };
        attempts.push({
          deliveryId: id,
          attemptNumber: 1,
          startedAt: at + 50,
          latencyMs: 5 + (i % 300),
          statusCode: failed ? 500 : 200,
          responseExcerpt: failed ? "nope" : "ok",
          requestHeaders: headers,
        });
        if (failed)
          attempts.push({
            deliveryId: id,
            attemptNumber: 2,
            startedAt: at + 5_050,
            latencyMs: 20 + (i % 50),
            statusCode: 500,
            responseExcerpt: "nope",
            requestHeaders: headers,
          });
        settlements.push(
          failed
            ? {
                id,
                state: "failed",
                attemptCount: 2,
                nextAttemptAt: at + 5_050,
                lastError: "HTTP 500",
                lastStatusCode: 500,
              }
            : { id, state: "succeeded", attemptCount: 1, nextAttemptAt: at + 50, lastStatusCode: 200 },
        );
      }
      await tx.events.insert(events);
      await tx.deliveries.insert(deliveries);
      await tx.deliveries.settle({ settlements, attempts, webhooksSucceeded: [], webhooksAtRisk: [] }, Date.now());
    });
  }
}

/** Signs in like a browser: the sign-in form's CSRF cookie and token, then the session cookie. */
async function signIn(url) {
  const cookies = new Map();
  const keep = (res) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [name, ...value] = pair.split("=");
      cookies.set(name, value.join("="));
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const form = await fetch(`${url}/dashboard/sign-in`);
  keep(form);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())[1];
  const res = await fetch(`${url}/dashboard/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: header(), "content-type": "application/x-www-form-urlencoded", origin: url },
    body: new URLSearchParams({ api_key: KEY, _csrf: csrf }).toString(),
  });
  keep(res);
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  return header();
}

async function timePage(url, cookie, path) {
  const once = async () => {
    const t = performance.now();
    const res = await fetch(`${url}${path}`, { headers: { cookie } });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    return performance.now() - t;
  };
  for (let i = 0; i < 5; i++) await once();
  const times = [];
  for (let i = 0; i < REQUESTS; i++) times.push(await once());
  return summarize(times);
}

async function measure(count) {
  const dataDir = mkdtempSync(join(tmpdir(), "tidings-bench-dashboard-"));
  const config = loadConfig({ dataDir, dev: true, port: String(await freePort()) }, { TIDINGS_API_KEY: KEY });
  const server = await startServer(config, { logger: pino({ level: "silent" }) });
  try {
    const { webhook } = await server.services.webhooks.create(server.projectId, {
      uri: "https://hooks.example.com/x",
      subscribed_events: ["*"],
    });
    const seeded = performance.now();
    await seed(server, webhook.id, count);
    const seedSeconds = (performance.now() - seeded) / 1000;
    const events = await server.services.events.list(
      server.projectId,
      { newestFirst: true },
      { pageSize: 1, offset: 0 },
    );
    const cookie = await signIn(server.url);
    const pages = {
      "webhooks list": "/dashboard/webhooks",
      "webhook + deliveries": `/dashboard/webhooks/${webhook.id}`,
      "failed deliveries": `/dashboard/webhooks/${webhook.id}?state=failed`,
      events: "/dashboard/events",
      "events by type": "/dashboard/events?type=report.failed",
      "events by operation": `/dashboard/events?operation=operations/op${Math.floor(count / 2)}`,
      "event + deliveries": `/dashboard/events/${events.items[0].id}`,
      operations: "/dashboard/operations",
      "charts, 6 h": "/dashboard/charts?hours=6",
      "charts, 24 h": "/dashboard/charts?hours=24",
    };
    const results = {};
    for (const [name, path] of Object.entries(pages)) results[name] = await timePage(server.url, cookie, path);
    return { seedSeconds, results };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const small = await measure(SMALL);
console.log(`seeded ${SMALL} deliveries in ${small.seedSeconds.toFixed(1)} s`);
const large = await measure(LARGE);
console.log(`seeded ${LARGE} deliveries in ${large.seedSeconds.toFixed(1)} s\n`);
console.log(`median page time over ${REQUESTS} requests (ms), SQLite`);
console.log(`${"page".padEnd(24)}${String(SMALL).padStart(10)}${String(LARGE).padStart(10)}   ratio`);
let worst = 0;
for (const name of Object.keys(small.results)) {
  const a = small.results[name].p50;
  const b = large.results[name].p50;
  worst = Math.max(worst, b / a);
  console.log(`${name.padEnd(24)}${a.toFixed(2).padStart(10)}${b.toFixed(2).padStart(10)}   ${(b / a).toFixed(2)}×`);
}
console.log(`\nworst ratio ${worst.toFixed(2)}× (target: within 2×)`);
