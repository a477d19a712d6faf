import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { ManualClock, registerWebhook, startTidings, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

let server: TestServer | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.close();
});

describe("custom operations", () => {
  it("each ending sends its event to matching webhooks, and the polling surface shows it", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    const webhook = await registerWebhook(server, receiver.url, ["render.*"]);
    const create = (type: string) => server!.api("POST", "/v1/operations", { type, metadata: { customer: "c1" } });

    const done = await create("render");
    expect(done.body).toMatchObject({ done: false, metadata: { type: "render", state: "RUNNING", customer: "c1" } });
    const completed = await server.api("POST", `/v1/${done.body.name}:complete`, {
      response: { frames: 3 },
      output_file_uri: "files/r1",
    });
    expect(completed.body).toMatchObject({ done: true, response: { frames: 3, outputFileUri: "files/r1" } });

    const failed = await create("render");
    await server.api("POST", `/v1/${failed.body.name}:fail`, { error: { code: 13, message: "GPU fell over" } });
    const cancelled = await create("render");
    await server.api("POST", `/v1/${cancelled.body.name}:cancel`);
    // A type nobody subscribed to: no delivery.
    const other = await create("export");
    await server.api("POST", `/v1/${other.body.name}:complete`, {});

    const got = await receiver.waitFor(3);
    const events = got.map((r) => verifyWithReferenceLibraries(webhook.secret, r) as any);
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    expect(byType["render.succeeded"]).toMatchObject({
      version: "v1",
      data: { id: done.body.name, output_file_uri: "files/r1" },
    });
    expect(byType["render.failed"]).toMatchObject({
      data: { id: failed.body.name, error_code: 13, error_message: "GPU fell over" },
    });
    expect(byType["render.cancelled"]).toMatchObject({ data: { id: cancelled.body.name } });
    expect(Date.parse(byType["render.succeeded"].timestamp)).not.toBeNaN();

    const polled = await server.api("GET", `/v1/${failed.body.name}`);
    expect(polled.body).toMatchObject({
      done: true,
      error: { code: 13, message: "GPU fell over" },
      metadata: { state: "FAILED" },
    });
    const running = await create("render");
    const open = await server.api("GET", "/v1/operations?filter=done%3Dfalse");
    expect(open.body.operations.map((o: any) => o.name)).toEqual([running.body.name]);
    const finished = await server.api("GET", "/v1/operations?filter=done%3Dtrue%20AND%20type%3Drender");
    expect(finished.body.operations).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.received).toHaveLength(3);
  });

  it("an operation past its expire_time expires and sends {type}.expired", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    await registerWebhook(server, receiver.url, ["export.expired"]);
    const op = await server.api("POST", "/v1/operations", {
      type: "export",
      expire_time: new Date(Date.now() + 300).toISOString(),
    });
    const [got] = await receiver.waitFor(1, 8000);
    expect(JSON.parse(got!.body)).toMatchObject({ type: "export.expired", data: { id: op.body.name } });
    const polled = await server.api("GET", `/v1/${op.body.name}`);
    expect(polled.body).toMatchObject({ done: true, metadata: { state: "EXPIRED" } });
    expect((await server.api("POST", `/v1/${op.body.name}:complete`, {})).status).toBe(409);
  });

  it("expiry follows the injected clock", async () => {
    const clock = new ManualClock(Date.now());
    server = await startTidings({ clock });
    const op = await server.api("POST", "/v1/operations", {
      type: "export",
      expire_time: new Date(clock.now() + 3600_000).toISOString(),
    });
    expect(await server.services.operations.expireDue()).toBe(0);
    clock.advance(3600_001);
    expect(await server.services.operations.expireDue()).toBe(1);
    expect((await server.api("GET", `/v1/${op.body.name}`)).body.metadata.state).toBe("EXPIRED");
  });

  it("caps a type at 64 characters, naming the limit", async () => {
    server = await startTidings();
    expect((await server.api("POST", "/v1/operations", { type: "a".repeat(64) })).status).toBe(200);
    const long = await server.api("POST", "/v1/operations", { type: "a".repeat(10_000) });
    expect(long.status).toBe(400);
    expect(long.body.error.details[0].fieldViolations[0].field).toBe("type");
    expect(long.body.error.message).toBe("type: is 10000 characters long; at most 64");
    const subscription = await server.api("POST", "/v1/webhooks", {
      uri: "https://example.com/h",
      subscribed_events: [`${"a".repeat(65)}.succeeded`],
    });
    expect(subscription.status).toBe(400);
  });
});

describe("the polling surface", () => {
  it("GET /v1/operations lists operations of every kind, and filters by kind and done", async () => {
    server = await startTidings({ env: { TIDINGS_LOCAL_DELAY_MS: "0" } });
    const custom = await server.api("POST", "/v1/operations", { type: "export" });
    const batch = await server.api("POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent", {
      batch: {
        displayName: "b",
        inputConfig: {
          requests: { requests: [{ request: { contents: [{ parts: [{ text: "hi" }] }] }, metadata: { key: "k" } }] },
        },
      },
    });
    expect(batch.status).toBe(200);
    const all = await server.api("GET", "/v1/operations");
    expect(all.status).toBe(200);
    expect(all.body.operations.map((o: { name: string }) => o.name)).toEqual([custom.body.name, batch.body.name]);
    expect(all.body.operations[1]).toMatchObject({
      metadata: { "@type": expect.stringContaining("GenerateContentBatch") },
    });

    const batches = await server.api("GET", `/v1/operations?filter=${encodeURIComponent("kind=batch")}`);
    expect(batches.body.operations.map((o: { name: string }) => o.name)).toEqual([batch.body.name]);
    await expect
      .poll(
        async () =>
          (await server!.api("GET", `/v1/operations?filter=${encodeURIComponent("kind=batch AND done=true")}`)).body
            .operations?.length ?? 0,
      )
      .toBe(1);
    const running = await server.api("GET", `/v1/operations?filter=${encodeURIComponent("done=false")}`);
    expect(running.body.operations.map((o: { name: string }) => o.name)).toEqual([custom.body.name]);

    const bad = await server.api("GET", `/v1/operations?filter=${encodeURIComponent("kind=interaction")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/kind=custom\|batch/);
  });
});
