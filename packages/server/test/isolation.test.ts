import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "./helpers/receiver.js";
import { registerWebhook, startTidings, type TestServer } from "./helpers/tidings.js";

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
    server = await startTidings({ env: { TIDINGS_DELIVERY_TIMEOUT_MS: "10000" }, engine: { perEndpointConcurrency: 4 } });
    await registerWebhook(server, blackHole.url, ["export.*"]);
    await registerWebhook(server, healthy.url, ["export.*"]);

    const count = 60;
    const completedAt = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const created = await server.api("POST", "/v1/operations", { type: "export" });
      const id = created.body.name as string;
      completedAt.set(id, Date.now());
      await server.api("POST", `/v1/${id}:complete`, {});
    }
    const got = await healthy.waitFor(count, 5000);
    const lags = got.map((r) => r.at - (completedAt.get(JSON.parse(r.body).data.id) ?? 0));
    // The black hole holds its 4 slots for the full 10 s timeout; the healthy endpoint must not wait on them.
    expect(Math.max(...lags)).toBeLessThan(2000);
    expect(blackHole.received.length).toBeLessThanOrEqual(4);
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
    const rounds = async () => Number(/^tidings_delivery_claim_rounds_total (\d+)$/m.exec(await (await fetch(`${server!.url}/metrics`)).text())?.[1]);
    await blackHole.waitFor(2, 5000);
    await new Promise((r) => setTimeout(r, 200));
    const before = await rounds();
    await new Promise((r) => setTimeout(r, 500));
    // A spinning engine looks hundreds of times in half a second; a waiting one a handful.
    expect((await rounds()) - before).toBeLessThan(20);
  });
});
