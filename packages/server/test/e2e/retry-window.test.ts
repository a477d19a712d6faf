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

const HOUR = 3600_000;
let server: TestServer | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await server?.close();
  for (const r of receivers.splice(0)) await r.close();
});

async function deliveries(webhookId: string, state?: string): Promise<any[]> {
  return (await server!.api("GET", `/v1/webhooks/${webhookId}/deliveries${state ? `?state=${state}` : ""}`)).body
    .deliveries;
}

describe("the 24-hour retry window (on an injected clock)", () => {
  it("retries on schedule, fails for good after 24 h, disables the webhook, announces it, and recovers", async () => {
    const clock = new ManualClock(Date.now());
    let healthy = false;
    const dead = await startReceiver(() => ({ status: healthy ? 200 : 500 }));
    const watcher = await startReceiver();
    receivers.push(dead, watcher);
    server = await startTidings({ clock, env: { TIDINGS_RETRY_SCHEDULE: "60,3600" } });
    const failing = await registerWebhook(server, dead.url, ["export.*"]);
    await registerWebhook(server, watcher.url, ["webhook.disabled"]);
    const startedAt = clock.now();
    await completeOperation(server);

    await dead.waitFor(1);
    await waitUntil(async () => (await deliveries(failing.id))[0]?.attempt_count === 1);
    let [delivery] = await deliveries(failing.id);
    expect(delivery.state).toBe("pending");
    // 60 s ± 20 % jitter after the first attempt.
    const next = Date.parse(delivery.next_attempt_time) - startedAt;
    expect(next).toBeGreaterThanOrEqual(48_000);
    expect(next).toBeLessThanOrEqual(72_000);

    // Not due yet: nothing is sent however often the engine looks.
    server.engine.wake();
    await new Promise((r) => setTimeout(r, 100));
    expect(dead.received).toHaveLength(1);

    clock.advance(2 * 60_000);
    server.engine.wake();
    await dead.waitFor(2);
    await waitUntil(async () => (await deliveries(failing.id))[0]?.attempt_count === 2);

    clock.advance(25 * HOUR);
    server.engine.wake();
    await dead.waitFor(3);
    await waitUntil(
      async () => (await deliveries(failing.id, "failed")).length === 1,
      5000,
      "the delivery to fail for good",
    );
    [delivery] = await deliveries(failing.id, "failed");
    expect(delivery.attempts).toHaveLength(3);
    expect(delivery.last_error).toBe("HTTP 500");

    const [notice] = await watcher.waitFor(1);
    expect(JSON.parse(notice!.body)).toMatchObject({ type: "webhook.disabled", data: { webhook_id: failing.id } });
    expect((await server.api("GET", `/v1/webhooks/${failing.id}`)).body.state).toBe(
      "disabled_due_to_failed_deliveries",
    );

    // The endpoint is fixed: re-enable it and recover what failed.
    healthy = true;
    await server.api("PATCH", `/v1/webhooks/${failing.id}?update_mask=state`, { state: "enabled" });
    const recovered = await server.api("POST", `/v1/webhooks/${failing.id}:recover`, {
      since: new Date(startedAt - HOUR).toISOString(),
    });
    expect(recovered.body.recovered_count).toBe(1);
    await dead.waitFor(4);
    expect(dead.received[3]!.headers["webhook-id"]).toBe(dead.received[0]!.headers["webhook-id"]);
    await waitUntil(
      async () => (await deliveries(failing.id, "succeeded")).length === 1,
      5000,
      "the recovered delivery to succeed",
    );
  });
});
