import parsePrometheus, { type MetricFamily } from "parse-prometheus-text-format";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import {
  completeOperation,
  ManualClock,
  registerWebhook,
  startTidings,
  waitUntil,
  type TestServer,
} from "../helpers/tidings.js";

let server: TestServer | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await server?.close();
  server = undefined;
});

async function scrape(s: TestServer): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${s.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return new Map(parsePrometheus(await res.text()).map((family) => [family.name, family]));
}

/** The value of one sample, matched by its labels (all of them, or none). */
function value(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  if (family === undefined) throw new Error(`no metric ${name}`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (sample === undefined) return 0;
  return Number(family.type === "HISTOGRAM" ? sample.count : sample.value);
}

describe("GET /metrics", () => {
  it("is Prometheus text whose delivery counters move with deliveries, with bounded labels and database gauges", async () => {
    // Retries an hour apart: the failing delivery stays pending after its one attempt. Time moves when the test says.
    const clock = new ManualClock();
    server = await startTidings({ clock, env: { TIDINGS_RETRY_SCHEDULE: "3600" } });
    const ok = await startReceiver(() => ({ status: 200 }));
    const failing = await startReceiver(() => ({ status: 500 }));
    receivers.push(ok, failing);
    await registerWebhook(server, ok.url, ["export.*"]);
    await registerWebhook(server, failing.url, ["export.*"]);

    const before = await scrape(server);
    // prom-client's default process metrics are there.
    for (const name of [
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds",
    ])
      expect(before.has(name), name).toBe(true);
    expect(value(before, "tidings_webhooks", { state: "enabled" })).toBe(2);
    expect(value(before, "tidings_deliveries_pending")).toBe(0);
    expect(value(before, "tidings_deliveries_oldest_pending_age_seconds")).toBe(0);
    // The engine's gauges: what it holds in memory, what it parked as keys, what is in flight.
    for (const name of ["tidings_deliveries_queued", "tidings_deliveries_parked", "tidings_deliveries_in_flight"])
      expect(value(before, name), name).toBe(0);

    await completeOperation(server, "export");
    await completeOperation(server, "export");
    await ok.waitFor(2);
    await failing.waitFor(2);
    const retriesCounted = async () =>
      value(await scrape(server!), "tidings_delivery_attempts_total", { outcome: "retry" }) === 2;
    await waitUntil(retriesCounted, 10_000, "the failed attempts to be counted");
    const running = await server.api<{ name: string }>("POST", "/v1/operations", { type: "export" });
    expect(running.status).toBe(200);
    await waitUntil(
      async () => value(await scrape(server!), "tidings_deliveries_pending") === 2,
      10_000,
      "the failed deliveries to be recorded as pending",
    );

    clock.advance(90_000);
    const after = await scrape(server);
    expect(
      value(after, "tidings_delivery_attempts_total", { outcome: "succeeded" }) -
        value(before, "tidings_delivery_attempts_total", { outcome: "succeeded" }),
    ).toBe(2);
    expect(
      value(after, "tidings_deliveries_total", { outcome: "succeeded" }) -
        value(before, "tidings_deliveries_total", { outcome: "succeeded" }),
    ).toBe(2);
    expect(value(after, "tidings_delivery_attempt_seconds") - value(before, "tidings_delivery_attempt_seconds")).toBe(
      4,
    );
    expect(value(after, "tidings_delivery_claim_rounds_total")).toBeGreaterThan(0);
    expect(value(after, "tidings_deliveries_oldest_pending_age_seconds")).toBe(90);
    expect(value(after, "tidings_operations_unfinished", { kind: "custom", state: "running" })).toBe(1);
    expect(
      value(after, "tidings_state_changes_total", { resource: "operation", kind: "custom", state: "succeeded" }),
    ).toBe(2);
    expect(
      value(after, "tidings_state_changes_total", { resource: "webhook", kind: "webhook", state: "enabled" }),
    ).toBe(2);
    expect(
      after
        .get("tidings_batch_lines")!
        .metrics.map((m) => m.labels?.state)
        .sort(),
    ).toEqual(["failed", "pending", "succeeded"]);

    // Labels are bounded: no event id, URL, key or webhook id in any label of any series.
    const labelValues = [...after.values()].flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {})));
    for (const label of labelValues) expect(label).not.toMatch(/^msg_|:\/\/|127\.0\.0\.1|^[a-z0-9]{36}$/);
  });

  it("counts batch lines of unfinished batches by state", async () => {
    server = await startTidings({ env: { TIDINGS_LOCAL_DELAY_MS: "60000" } });
    const lines = Array.from({ length: 3 }, (_, i) => ({
      request: { contents: [{ parts: [{ text: `p${i}` }] }] },
      metadata: { key: `k${i}` },
    }));
    expect(
      (
        await server.api("POST", "/v1/models/m:batchGenerateContent", {
          batch: { inputConfig: { requests: { requests: lines } } },
        })
      ).status,
    ).toBe(200);
    const metrics = await scrape(server);
    expect(value(metrics, "tidings_batch_lines", { state: "pending" })).toBe(3);
    expect(value(metrics, "tidings_operations_unfinished", { kind: "batch" })).toBe(1);
  });

  it("counts interactions and videos: waiting ones as unfinished, each move as a state change", async () => {
    server = await startTidings();
    const s = server;
    const tools = [
      {
        type: "function",
        name: "get_weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    ];
    const paused = await s.api("POST", "/v1/interactions", {
      model: "m",
      input: "Use get_weather with city: Lima",
      tools,
      background: true,
    });
    const video = await s.api("POST", "/v1/models/veo-3.0-generate-001:predictLongRunning", {
      instances: [{ prompt: "a kite" }],
      parameters: { durationSeconds: 1 },
    });
    await waitUntil(
      async () => (await s.api("GET", `/v1/interactions/${paused.body.id}`)).body.status === "requires_action",
      10_000,
      "the interaction to pause",
    );
    await waitUntil(async () => (await s.api("GET", `/v1/${video.body.name}`)).body.done === true, 20_000, "the video");
    const metrics = await scrape(s);
    expect(value(metrics, "tidings_operations_unfinished", { kind: "interaction", state: "requires_action" })).toBe(1);
    expect(value(metrics, "tidings_operations_unfinished", { kind: "video" })).toBe(0);
    const changes = (resource: string, kind: string, state: string) =>
      value(metrics, "tidings_state_changes_total", { resource, kind, state });
    expect([
      changes("interaction", "interaction", "in_progress"),
      changes("interaction", "interaction", "requires_action"),
    ]).toEqual([1, 1]);
    expect([
      changes("operation", "video", "pending"),
      changes("operation", "video", "running"),
      changes("operation", "video", "succeeded"),
    ]).toEqual([1, 1, 1]);
  });
});
