import { GoogleGenAI as GoogleGenAI2 } from "@google/genai";
import { GoogleGenAI as GoogleGenAI3 } from "@google/genai-3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  server = await startTidings();
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

// Both lines of the official client: 2.x calls /v1beta/…, 3.x calls /v1/… (both must work: docs/wire.md).
describe.each([
  ["2.32", GoogleGenAI2],
  ["3.x", GoogleGenAI3],
])("@google/genai %s ai.webhooks against Tidings", (_version, GoogleGenAI) => {
  const client = () => new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });

  it("creates, lists, gets, updates, pings, rotates and deletes", async () => {
    const ai = client();
    const pingsBefore = receiver.received.length;
    const created = await ai.webhooks.create({
      name: "orders",
      uri: receiver.url,
      subscribed_events: ["batch.succeeded", "video.generated"],
    });
    expect(created.id).toMatch(/^[a-z0-9]{36}$/);
    expect(created.new_signing_secret).toMatch(/^whsec_/);
    expect(created.state).toBe("enabled");
    expect(created.signing_secrets?.[0]?.truncated_secret).toMatch(/^whsec_\.\.\./);
    const id = created.id as string;

    const listed = await ai.webhooks.list();
    expect(listed.webhooks?.map((w) => w.id)).toContain(id);
    expect(listed.webhooks?.[0]?.new_signing_secret).toBeUndefined();

    const got = await ai.webhooks.get(id);
    expect(got).toMatchObject({
      id,
      name: "orders",
      uri: receiver.url,
      subscribed_events: ["batch.succeeded", "video.generated"],
    });

    const updated = await ai.webhooks.update(id, {
      subscribed_events: ["batch.failed"],
      update_mask: "subscribed_events",
    });
    expect(updated.subscribed_events).toEqual(["batch.failed"]);
    expect(updated.name).toBe("orders");

    await ai.webhooks.ping(id);
    const ping = (await receiver.waitFor(pingsBefore + 1))[pingsBefore];
    expect(verifyWithReferenceLibraries(created.new_signing_secret as string, ping!)).toMatchObject({
      type: "webhook.ping",
      data: { webhook_id: id },
    });

    const rotated = await ai.webhooks.rotateSigningSecret(id, {
      revocation_behavior: "revoke_previous_secrets_immediately",
    });
    expect(rotated.secret).toMatch(/^whsec_/);

    await ai.webhooks.delete(id);
    await expect(ai.webhooks.get(id)).rejects.toThrow();
    expect((await ai.webhooks.list()).webhooks ?? []).toHaveLength(0);
  });

  it("pages through webhooks with page_size and page_token", async () => {
    const ai = client();
    for (let i = 0; i < 3; i++) await ai.webhooks.create({ uri: `${receiver.url}?n=${i}`, subscribed_events: ["*"] });
    const first = await ai.webhooks.list({ page_size: 2 });
    expect(first.webhooks).toHaveLength(2);
    expect(first.next_page_token).toBeTruthy();
    const second = await ai.webhooks.list({ page_size: 2, page_token: first.next_page_token });
    expect(second.webhooks).toHaveLength(1);
    expect(second.next_page_token).toBeUndefined();
    for (const hook of [...(first.webhooks ?? []), ...(second.webhooks ?? [])]) await ai.webhooks.delete(hook.id!);
  });
});
