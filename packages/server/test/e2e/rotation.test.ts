import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { completeOperation, registerWebhook, startTidings, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

let server: TestServer | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await server?.close();
  await receiver?.close();
});

describe("signing secret rotation", () => {
  it("after a 24 h rotation, deliveries carry two v1 signatures, one per secret", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    const webhook = await registerWebhook(server, receiver.url);
    const rotated = await server.api("POST", `/v1/webhooks/${webhook.id}:rotateSigningSecret`, {
      revocation_behavior: "revoke_previous_secrets_after_h24",
    });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(webhook.secret);

    const listed = (await server.api("GET", `/v1/webhooks/${webhook.id}`)).body;
    expect(listed.signing_secrets).toHaveLength(2);
    const expiring = listed.signing_secrets.find((s: any) => s.expire_time !== undefined);
    expect(Date.parse(expiring.expire_time) - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000);

    await completeOperation(server);
    const [delivery] = await receiver.waitFor(1);
    expect(
      String(delivery!.headers["webhook-signature"])
        .split(" ")
        .filter((s) => s.startsWith("v1,")),
    ).toHaveLength(2);
    verifyWithReferenceLibraries(webhook.secret, delivery!);
    verifyWithReferenceLibraries(newSecret, delivery!);
  });

  it("after an immediate rotation, only the new secret signs", async () => {
    receiver = await startReceiver();
    server = await startTidings();
    const webhook = await registerWebhook(server, receiver.url);
    const rotated = await server.api("POST", `/v1/webhooks/${webhook.id}:rotateSigningSecret`, {
      revocation_behavior: "revoke_previous_secrets_immediately",
    });
    const newSecret = rotated.body.secret as string;
    await completeOperation(server);
    const [delivery] = await receiver.waitFor(1);
    expect(String(delivery!.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    verifyWithReferenceLibraries(newSecret, delivery!);
    expect(() => verifyWithReferenceLibraries(webhook.secret, delivery!)).toThrow();
    expect((await server.api("GET", `/v1/webhooks/${webhook.id}`)).body.signing_secrets).toHaveLength(1);
  });

  it("keeps secrets encrypted at rest", async () => {
    server = await startTidings();
    const webhook = await registerWebhook(server, "https://example.com/hook");
    const { readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const db = readFileSync(join(server.dataDir, "tidings.db"));
    const wal = readFileSync(join(server.dataDir, "tidings.db-wal"));
    const raw = webhook.secret.slice("whsec_".length);
    expect(db.includes(raw) || wal.includes(raw)).toBe(false);
    expect(db.includes(webhook.secret) || wal.includes(webhook.secret)).toBe(false);
    // What was looked for is a real secret: whsec_ and the base64 of 32 random bytes.
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(raw, "base64")).toHaveLength(32);
  });
});
