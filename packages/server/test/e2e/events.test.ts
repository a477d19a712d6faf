import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { completeOperation, registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

let server: TestServer | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.close();
});

describe("events API", () => {
  it("lists and filters events, shows an event's deliveries, and redelivers with the same webhook-id", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    const a = await registerWebhook(server, `${receiver.url}?a`);
    const b = await registerWebhook(server, `${receiver.url}?b`);
    const opId = await completeOperation(server, "export");
    await completeOperation(server, "render");
    await receiver.waitFor(4);

    const all = await server.api("GET", "/v1/events");
    expect(all.body.events).toHaveLength(2);
    const exports = await server.api("GET", "/v1/events?type=export.succeeded");
    expect(exports.body.events).toHaveLength(1);
    const byOp = await server.api("GET", `/v1/events?operation=operations/${opId}`);
    expect(byOp.body.events).toHaveLength(1);
    const eventId = exports.body.events[0].id as string;
    expect(eventId).toMatch(/^msg_[A-Za-z0-9]{27}$/);

    await waitUntil(async () =>
      (await server!.api("GET", `/v1/events/${eventId}`)).body.deliveries.every((d: any) => d.state === "succeeded"),
    );
    const detail = await server.api("GET", `/v1/events/${eventId}`);
    expect(detail.body.deliveries.map((d: any) => d.webhook_id).sort()).toEqual([a.id, b.id].sort());

    const again = await server.api("POST", `/v1/events/${eventId}:redeliver`, { webhook_id: a.id });
    expect(again.body.delivery_count).toBe(1);
    const got = await receiver.waitFor(5);
    expect(got[4]!.headers["webhook-id"]).toBe(eventId);
    expect(got[4]!.path).toBe("/hook?a");

    const everyone = await server.api("POST", `/v1/events/${eventId}:redeliver`, {});
    expect(everyone.body.delivery_count).toBe(2);
    await receiver.waitFor(7);
    expect((await server.api("POST", `/v1/events/${eventId}:redeliver`, { webhook_id: "nope" })).status).toBe(400);
  });
});
