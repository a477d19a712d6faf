import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { completeOperation, registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

let server: TestServer | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.close();
});

describe("retries", () => {
  it("retries 500, 500, 200 with one webhook-id, each attempt verifying, and logs all three", async () => {
    const statuses = [500, 500, 200];
    receiver = await startReceiver((n) => ({ status: statuses[n] ?? 200 }));
    server = await startTidings();
    const webhook = await registerWebhook(server, receiver.url);
    const opId = await completeOperation(server);

    const got = await receiver.waitFor(3);
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(1);
    for (const r of got) {
      const event = verifyWithReferenceLibraries(webhook.secret, r) as { type: string; data: { id: string } };
      expect(event).toMatchObject({
        type: "export.succeeded",
        data: { id: `operations/${opId}`, output_file_uri: "files/out" },
      });
    }

    let deliveries: any[] = [];
    await waitUntil(
      async () => {
        deliveries = (await server!.api("GET", `/v1/webhooks/${webhook.id}/deliveries`)).body.deliveries;
        return deliveries[0]?.state === "succeeded";
      },
      5000,
      "the delivery to be recorded as succeeded",
    );
    expect(deliveries).toHaveLength(1);
    const attempts = deliveries[0].attempts;
    expect(attempts.map((a: any) => a.status_code)).toEqual([500, 500, 200]);
    for (const a of attempts) expect(a.latency_ms).toBeGreaterThan(0);
    expect(deliveries[0].attempt_count).toBe(3);

    const failedOnly = await server.api("GET", `/v1/webhooks/${webhook.id}/deliveries?state=failed`);
    expect(failedOnly.body.deliveries).toHaveLength(0);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('tidings_delivery_attempts_total{outcome="retry"} 2');
    expect(metrics).toContain('tidings_delivery_attempts_total{outcome="succeeded"} 1');
    expect(metrics).toContain("tidings_delivery_attempt_seconds_count 3");
  });

  it("treats a redirect as a failure and does not follow it", async () => {
    receiver = await startReceiver((n) =>
      n === 0 ? { status: 302, headers: { location: "http://127.0.0.1:1/elsewhere" } } : { status: 204 },
    );
    server = await startTidings();
    const webhook = await registerWebhook(server, receiver.url);
    await completeOperation(server);
    const got = await receiver.waitFor(2);
    expect(got.every((r) => r.path === "/hook")).toBe(true);
    await waitUntil(
      async () =>
        (await server!.api("GET", `/v1/webhooks/${webhook.id}/deliveries?state=succeeded`)).body.deliveries.length ===
        1,
    );
    const [delivery] = (await server.api("GET", `/v1/webhooks/${webhook.id}/deliveries`)).body.deliveries;
    expect(delivery.attempts.map((a: any) => a.status_code)).toEqual([302, 204]);
  });

  it("disables a webhook that answers 410 Gone and tells the others", async () => {
    receiver = await startReceiver((_n, req) => ({ status: req.path === "/gone" ? 410 : 200 }));
    server = await startTidings();
    const gone = await registerWebhook(server, receiver.url.replace("/hook", "/gone"), ["export.*"]);
    await registerWebhook(server, receiver.url, ["webhook.disabled"]);
    await completeOperation(server);
    const got = await receiver.waitFor(2);
    const notice = got.find((r) => r.path === "/hook")!;
    expect(JSON.parse(notice.body)).toMatchObject({ type: "webhook.disabled", data: { webhook_id: gone.id } });
    expect((await server.api("GET", `/v1/webhooks/${gone.id}`)).body.state).toBe("disabled");
    expect(got.filter((r) => r.path === "/gone")).toHaveLength(1);
  });

  it("honours Retry-After on 429, within the schedule's bounds", async () => {
    receiver = await startReceiver((n) =>
      n === 0 ? { status: 429, headers: { "retry-after": "3600" } } : { status: 200 },
    );
    // Schedule step 0.3 s: a Retry-After of an hour is clamped to twice that.
    server = await startTidings({ env: { TIDINGS_RETRY_SCHEDULE: "0.3" } });
    await registerWebhook(server, receiver.url);
    await completeOperation(server);
    const got = await receiver.waitFor(2, 5000);
    const gap = got[1]!.at - got[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(290);
    expect(gap).toBeLessThan(2000);
  });
});
