import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

let server: TestServer | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  // Receivers first: closing the black hole ends the attempts the server would otherwise wait out on shutdown.
  for (const r of receivers.splice(0)) await r.close();
  await server?.close();
});

describe("endpoint isolation", () => {
  it("a black-hole endpoint does not delay deliveries to a healthy one", async () => {
    const blackHole = await startReceiver(() => "hang");
    const healthy = await startReceiver();
    receivers.push(blackHole, healthy);
    server = await startTidings({
      env: { TIDINGS_DELIVERY_TIMEOUT_MS: "10000" },
      engine: { perEndpointConcurrency: 4 },
    });
    await registerWebhook(server, blackHole.url, ["export.*"]);
    await registerWebhook(server, healthy.url, ["export.*"]);

    const count = 60;
    for (let i = 0; i < count; i++) {
      const created = await server.api("POST", "/v1/operations", { type: "export" });
      await server.api("POST", `/v1/${created.body.name}:complete`, {});
    }
    await healthy.waitFor(count);
    // Every healthy delivery arrived while the black hole's first attempts were still hanging (10 s timeout):
    // none of them waited on it.
    expect(blackHole.received.length).toBeLessThanOrEqual(4);
    expect(await attemptsRecorded(server, blackHole.url)).toBe(0);
  });

  it("black holes sharing one host with healthy endpoints hold only their own sockets", async () => {
    // One receiving host, many endpoints (paths): six black holes with 16 attempts in flight each, more
    // sockets than a bounded per-host pool would have.
    const host = await startReceiver((_n, req) => (req.path.startsWith("/dead") ? "hang" : { status: 200 }));
    receivers.push(host);
    server = await startTidings({ env: { TIDINGS_DELIVERY_TIMEOUT_MS: "10000" } });
    const base = host.url.replace(/\/hook$/, "");
    for (let i = 0; i < 6; i++) await registerWebhook(server, `${base}/dead${i}`, ["export.*"]);
    for (let i = 0; i < 3; i++) await registerWebhook(server, `${base}/ok${i}`, ["export.*"]);
    const count = 20;
    for (let i = 0; i < count; i++) {
      const created = await server.api("POST", "/v1/operations", { type: "export" });
      await server.api("POST", `/v1/${created.body.name}:complete`, {});
    }
    await waitUntil(
      () => host.received.filter((r) => r.path.startsWith("/ok")).length >= 3 * count,
      20_000,
      "the healthy deliveries",
    );
    // All arrived once each, on their first attempt, while the black holes' attempts still hang.
    for (let i = 0; i < 3; i++) {
      const ids = host.received.filter((r) => r.path === `/ok${i}`).map((r) => r.headers["webhook-id"]);
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
    }
    for (let i = 0; i < 6; i++) expect(await attemptsRecorded(server, `${base}/dead${i}`)).toBe(0);
  });

  it("does not spin while the only due deliveries belong to an endpoint with no room", async () => {
    const blackHole = await startReceiver(() => "hang");
    receivers.push(blackHole);
    // One slot per endpoint, a 1 s timeout and a 50 ms retry: a failed attempt is due again while the
    // endpoint is still busy with the next one.
    server = await startTidings({
      env: { TIDINGS_DELIVERY_TIMEOUT_MS: "1000", TIDINGS_RETRY_SCHEDULE: "0.05" },
      engine: { perEndpointConcurrency: 1, perEndpointQueue: 1 },
    });
    await registerWebhook(server, blackHole.url, ["export.*"]);
    for (let i = 0; i < 3; i++) {
      const created = await server.api("POST", "/v1/operations", { type: "export" });
      await server.api("POST", `/v1/${created.body.name}:complete`, {});
    }
    const rounds = async () =>
      Number(
        /^tidings_delivery_claim_rounds_total (\d+)$/m.exec(await (await fetch(`${server!.url}/metrics`)).text())?.[1],
      );
    await blackHole.waitFor(2, 5000);
    await new Promise((r) => setTimeout(r, 200));
    const before = await rounds();
    await new Promise((r) => setTimeout(r, 500));
    // A spinning engine looks hundreds of times in half a second; a waiting one a handful.
    expect((await rounds()) - before).toBeLessThan(20);
  });
});

/** Attempts recorded so far for the webhook at `uri`: an attempt still in flight has none. */
async function attemptsRecorded(s: TestServer, uri: string): Promise<number> {
  const hooks = (await s.api("GET", "/v1/webhooks?page_size=1000")).body.webhooks as { id: string; uri: string }[];
  const hook = hooks.find((h) => h.uri === uri)!;
  const deliveries = (await s.api("GET", `/v1/webhooks/${hook.id}/deliveries?page_size=1000`)).body.deliveries as {
    attempts: unknown[];
  }[];
  return deliveries.reduce((n, d) => n + d.attempts.length, 0);
}
