import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import parsePrometheus, { type MetricFamily } from "parse-prometheus-text-format";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import {
  ADMIN_KEY,
  ManualClock,
  registerWebhook,
  startTidings,
  uploadJsonl,
  type TestServer,
} from "../helpers/tidings.js";

let server: TestServer | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const r of receivers.splice(0)) await r.close();
});

const MINUTE = 60_000;

async function purgedCount(s: TestServer, resource: string): Promise<number> {
  const families: MetricFamily[] = parsePrometheus(await (await fetch(`${s.url}/metrics`)).text());
  const family = families.find((f) => f.name === "tidings_retention_purged_total");
  const sample = family?.metrics.find((m) => m.labels?.resource === resource) as { value?: string } | undefined;
  return Number(sample?.value ?? 0);
}

describe("retention", () => {
  it("purges what outlived TIDINGS_RETENTION, keeps what a pending delivery needs, and counts it on /metrics", async () => {
    const ok = await startReceiver(() => ({ status: 200 }));
    const failing = await startReceiver(() => ({ status: 500 }));
    receivers.push(ok, failing);
    const clock = new ManualClock(Date.now());
    // A 4 s retention: the sweep runs every second, so the test waits on it without moving the clock far.
    server = await startTidings({ clock, env: { TIDINGS_RETENTION: "4s", TIDINGS_RETRY_SCHEDULE: "3600" } });
    await registerWebhook(server, ok.url, ["export.*"]);
    await registerWebhook(server, failing.url, ["stuck.*"]);
    const finish = async (type: string) => {
      const created = await server!.api("POST", "/v1/operations", { type });
      await server!.api("POST", `/v1/${created.body.name}:complete`, {});
      return created.body.name as string;
    };
    const delivered = await finish("export");
    const stuck = await finish("stuck");
    await ok.waitFor(1);
    await failing.waitFor(1);
    const eventOf = async (name: string) =>
      (await server!.api("GET", `/v1/events?operation=${name}`)).body.events[0].id as string;
    const [deliveredEvent, stuckEvent] = [await eventOf(delivered), await eventOf(stuck)];
    await expect
      .poll(async () => (await server!.api("GET", `/v1/events/${deliveredEvent}`)).body.deliveries[0].state)
      .toBe("succeeded");

    clock.advance(10 * MINUTE);
    await expect
      .poll(async () => (await server!.api("GET", `/v1/events/${deliveredEvent}`)).status, { timeout: 10_000 })
      .toBe(404);
    expect((await server.api("GET", `/v1/${delivered}`)).status).toBe(404);
    // The stuck one's delivery is still pending (its retry is an hour away): its event and operation stay.
    expect((await server.api("GET", `/v1/events/${stuckEvent}`)).status).toBe(200);
    expect((await server.api("GET", `/v1/${stuck}`)).status).toBe(200);
    // The sweep counts what it purged once it has ended, a few turns of the event loop after the records went.
    await expect.poll(() => purgedCount(server!, "operations")).toBe(1);
    expect(await purgedCount(server, "events")).toBe(1);
    expect(await purgedCount(server, "deliveries")).toBe(1);
  });

  it("deletes a file at its expireTime (TIDINGS_FILE_TTL), with its bytes", async () => {
    const clock = new ManualClock(Date.now());
    server = await startTidings({ clock, env: { TIDINGS_RETENTION: "4s", TIDINGS_FILE_TTL: "1h" } });
    const name = await uploadJsonl(server, '{"key":"a","request":{"contents":[]}}\n');
    const file = (await server.api("GET", `/v1/${name}`)).body;
    expect(Date.parse(file.expirationTime) - clock.now()).toBe(3_600_000);
    const blob = join(server.dataDir, "files", server.projectId, name.replace("files/", ""));
    expect(existsSync(blob)).toBe(true);
    clock.advance(3_600_000 - 1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await server.api("GET", `/v1/${name}`)).status).toBe(200);
    clock.advance(1);
    await expect.poll(async () => (await server!.api("GET", `/v1/${name}`)).status, { timeout: 10_000 }).toBe(404);
    // Its bytes go right after its record, once that delete is committed (services/files.ts: forget): a GET between
    // the two already answers 404 (CI read the bytes still there, once).
    await expect.poll(() => existsSync(blob)).toBe(false);
    // The sweep counts what it purged once it has ended, a turn of the event loop after the file went.
    await expect.poll(() => purgedCount(server!, "files")).toBe(1);
  });

  it("takes a project's own retention (admin PATCH), and refuses one that is not a duration, naming the field", async () => {
    server = await startTidings();
    const patch = (body: unknown, mask = "retention") =>
      fetch(`${server!.url}/v1/projects/${server!.projectId}?update_mask=${mask}`, {
        method: "PATCH",
        headers: { "x-goog-api-key": ADMIN_KEY, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const set = await patch({ retention: "86400s" });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ id: server.projectId, retention: "86400s" });
    expect((await server.store.projects.get(server.projectId))?.retentionMs).toBe(86_400_000);
    for (const bad of ["1d", "0s", "soon"]) {
      const refused = await patch({ retention: bad });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toMatch(/"field":"retention"/);
    }
    expect((await patch({ display_name: "x" }, "display_name")).status).toBe(400);
    // The mask names it and the body has none: back to the server's default.
    const cleared = await patch({});
    expect(await cleared.json()).not.toHaveProperty("retention");
    // Admin only.
    expect((await server.api("PATCH", `/v1/projects/${server.projectId}`, { retention: "60s" })).status).toBe(403);
  });
});

describe("DELETE /v1/operations/{id}", () => {
  it("erases a finished operation with its events and deliveries, and refuses a running one", async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    server = await startTidings();
    await registerWebhook(server, receiver.url, ["export.*"]);
    const created = await server.api("POST", "/v1/operations", { type: "export" });
    const name = created.body.name as string;
    const running = await server.api("DELETE", `/v1/${name}`);
    expect(running.status).toBe(400);
    expect(running.body.error.message).toMatch(/still running/);
    await server.api("POST", `/v1/${name}:complete`, {});
    await receiver.waitFor(1);
    const [event] = (await server.api("GET", `/v1/events?operation=${name}`)).body.events;
    expect((await server.api("DELETE", `/v1/${name}`)).status).toBe(200);
    expect((await server.api("GET", `/v1/${name}`)).status).toBe(404);
    expect((await server.api("GET", `/v1/events/${event.id}`)).status).toBe(404);
    expect((await server.api("GET", `/v1/events?operation=${name}`)).body.events ?? []).toEqual([]);
    expect((await server.api("DELETE", `/v1/${name}`)).status).toBe(404);
  });
});
