/**
 * Standard Webhooks `v1a` (Ed25519): a static webhook registered with `signing_scheme: "v1a"`, and dynamic
 * deliveries with TIDINGS_DYNAMIC_SIGNING=v1a, as Gemini's live deliveries are signed. Every signature is checked
 * with node:crypto alone (what the README's snippet does) and with @tidings/sdk.
 */
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { verifyWebhook } from "@tidings/sdk/verify";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Received, type Receiver } from "../helpers/receiver.js";
import { ADMIN_KEY, completeOperation, ManualClock, startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

/** The `v1a,` entries of a delivery's `webhook-signature`. */
function v1aEntries(delivery: Received): string[] {
  const entries = String(delivery.headers["webhook-signature"]).split(" ");
  expect(entries.every((e) => e.startsWith("v1a,"))).toBe(true);
  return entries;
}

/** node:crypto alone: does some v1a entry verify `body` under this key (a `whpk_` string or a JWK)? */
function nodeVerifies(key: string | JsonWebKey, delivery: Received, body = delivery.body): boolean {
  const jwk =
    typeof key === "string"
      ? { kty: "OKP", crv: "Ed25519", x: Buffer.from(key.slice("whpk_".length), "base64").toString("base64url") }
      : key;
  const publicKey = createPublicKey({ key: jwk, format: "jwk" });
  const content = Buffer.from(`${delivery.headers["webhook-id"]}.${delivery.headers["webhook-timestamp"]}.${body}`);
  return v1aEntries(delivery).some((entry) =>
    verify(null, content, publicKey, Buffer.from(entry.slice("v1a,".length), "base64")),
  );
}

async function jwksOf(server: TestServer): Promise<(JsonWebKey & { kid: string })[]> {
  return (
    (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: (JsonWebKey & { kid: string })[] }
  ).keys;
}

describe("a static webhook signed v1a", () => {
  it("answers a whpk_ public key that reads back; its deliveries verify with it; after a rotation they verify under both keys", async () => {
    const hooks = await receiver();
    server = await startTidings();
    const created = await server.api("POST", "/v1/webhooks", {
      uri: hooks.url,
      subscribed_events: ["*"],
      signing_scheme: "v1a",
    });
    expect(created.status).toBe(200);
    const publicKey = created.body.public_key as string;
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(publicKey.slice(5), "base64")).toHaveLength(32);
    expect(created.body).toMatchObject({
      signing_scheme: "v1a",
      signing_secrets: [{ public_key: publicKey, truncated_secret: `whpk_...${publicKey.slice(-4)}` }],
    });
    expect(created.body.new_signing_secret).toBeUndefined();
    // Not secret: shown on every read, and in the list.
    expect((await server.api("GET", `/v1/webhooks/${created.body.id}`)).body).toMatchObject({
      signing_scheme: "v1a",
      public_key: publicKey,
    });
    expect((await server.api("GET", "/v1/webhooks")).body.webhooks[0]).toMatchObject({ public_key: publicKey });

    await completeOperation(server, "export", { output_file_uri: "files/v1a" });
    const [first] = await hooks.waitFor(1);
    expect(v1aEntries(first!)).toHaveLength(1);
    expect(nodeVerifies(publicKey, first!)).toBe(true);
    expect(nodeVerifies(publicKey, first!, first!.body.replace("files/v1a", "files/evil"))).toBe(false);
    const headers = first!.headers as Record<string, string>;
    await expect(verifyWebhook(first!.body, headers, { publicKey })).resolves.toMatchObject({
      type: "export.succeeded",
    });
    await expect(verifyWebhook(`${first!.body} `, headers, { publicKey })).rejects.toMatchObject({
      code: "invalid_signature",
    });

    const rotated = await server.api("POST", `/v1/webhooks/${created.body.id}:rotateSigningSecret`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ public_key: expect.stringMatching(/^whpk_/) });
    const newKey = rotated.body.public_key as string;
    expect(newKey).not.toBe(publicKey);
    const after = (await server.api("GET", `/v1/webhooks/${created.body.id}`)).body;
    expect(after.public_key).toBe(newKey);
    expect(after.signing_secrets.map((s: { public_key: string }) => s.public_key)).toEqual([newKey, publicKey]);

    await completeOperation(server, "export");
    const second = (await hooks.waitFor(2))[1]!;
    expect(v1aEntries(second)).toHaveLength(2);
    for (const key of [newKey, publicKey]) {
      expect(nodeVerifies(key, second)).toBe(true);
      await expect(
        verifyWebhook(second.body, second.headers as Record<string, string>, { publicKey: key }),
      ).resolves.toMatchObject({
        type: "export.succeeded",
      });
    }
  });

  it("drops the old key at once when asked, keeps the private keys sealed at rest, and tells a v1 verifier to use the public key", async () => {
    const hooks = await receiver();
    server = await startTidings();
    const created = await server.api("POST", "/v1/webhooks", {
      uri: hooks.url,
      subscribed_events: ["*"],
      signingScheme: "v1a",
    });
    const rotated = await server.api("POST", `/v1/webhooks/${created.body.id}:rotateSigningSecret`, {
      revocation_behavior: "revoke_previous_secrets_immediately",
    });
    await completeOperation(server, "export");
    const [delivery] = await hooks.waitFor(1);
    expect(v1aEntries(delivery!)).toHaveLength(1);
    expect(nodeVerifies(rotated.body.public_key, delivery!)).toBe(true);
    expect(nodeVerifies(created.body.public_key, delivery!)).toBe(false);
    await expect(
      verifyWebhook(delivery!.body, delivery!.headers as Record<string, string>, {
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      }),
    ).rejects.toThrow(/publicKey/);
    // The private halves (whsk_…) are in the sealed secrets, never in the clear.
    const stored = Buffer.concat([
      readFileSync(join(server.dataDir, "tidings.db")),
      readFileSync(join(server.dataDir, "tidings.db-wal")),
    ]).toString("latin1");
    expect(stored).not.toContain("whsk_");
  });

  it("refuses an unknown scheme by name", async () => {
    server = await startTidings();
    const res = await server.api("POST", "/v1/webhooks", {
      uri: "https://example.com/h",
      subscribed_events: ["*"],
      signing_scheme: "v2",
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].fieldViolations[0].field).toBe("signing_scheme");
  });
});

describe("dynamic deliveries with TIDINGS_DYNAMIC_SIGNING=v1a", () => {
  it("carry a v1a entry that verifies with node:crypto against an OKP key of /.well-known/jwks.json; a changed body does not", async () => {
    const target = await receiver();
    server = await startTidings({ env: { TIDINGS_DYNAMIC_SIGNING: "v1a" } });
    const jwks = await jwksOf(server);
    expect(jwks).toEqual([
      expect.objectContaining({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", kid: expect.any(String) }),
    ]);
    expect(jwks[0]).not.toHaveProperty("d");

    const op = await server.api("POST", "/v1/operations", {
      type: "render",
      webhook_config: { uris: [target.url], user_metadata: { order: "o-7" } },
    });
    await server.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/clip" });
    const [delivery] = await target.waitFor(1);
    expect(String(delivery!.headers["webhook-signature"])).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(nodeVerifies(jwks[0]!, delivery!)).toBe(true);
    expect(nodeVerifies(jwks[0]!, delivery!, delivery!.body.replace("o-7", "o-8"))).toBe(false);

    const options = { jwks: `${server.url}/.well-known/jwks.json`, audience: target.url };
    const headers = delivery!.headers as Record<string, string>;
    await expect(verifyWebhook(delivery!.body, headers, options)).resolves.toMatchObject({
      type: "render.succeeded",
      data: { user_metadata: { order: "o-7" } },
    });
    await expect(verifyWebhook(delivery!.body.replace("o-7", "o-8"), headers, options)).rejects.toMatchObject({
      code: "invalid_signature",
    });
  });

  it("rotates staged: two v1a entries, each by a published key, until the new key takes over", async () => {
    const clock = new ManualClock(Date.now());
    const target = await receiver();
    server = await startTidings({ clock, env: { TIDINGS_DYNAMIC_SIGNING: "v1a", TIDINGS_JWKS_PROPAGATION_S: "600" } });
    const deliverOne = async (n: number) => {
      const op = await server!.api("POST", "/v1/operations", { type: "job", webhook_config: { uris: [target.url] } });
      await server!.api("POST", `/v1/${op.body.name}:cancel`);
      return (await target.waitFor(n))[n - 1]!;
    };
    const [before] = await jwksOf(server);
    expect(v1aEntries(await deliverOne(1))).toHaveLength(1);

    const rotated = await server.api("POST", "/v1/signingKeys:rotate", undefined, ADMIN_KEY);
    expect(rotated.status).toBe(200);
    const published = await jwksOf(server);
    const next = published.find((k) => k.kid === rotated.body.kid)!;
    expect(published.map((k) => k.kty)).toEqual(["OKP", "OKP"]);
    const during = await deliverOne(2);
    expect(v1aEntries(during)).toHaveLength(2);
    // A receiver that knows only the key it fetched before the rotation verifies; so does one that has the new key.
    expect(nodeVerifies(before!, during)).toBe(true);
    expect(nodeVerifies(next, during)).toBe(true);

    clock.advance(600_000);
    const afterwards = await deliverOne(3);
    expect(v1aEntries(afterwards)).toHaveLength(1);
    expect(nodeVerifies(next, afterwards)).toBe(true);
    expect(nodeVerifies(before!, afterwards)).toBe(false);
  });

  it("switches an existing RS256 install to v1a at once: the Ed25519 key is published beside the RSA one and signs", async () => {
    const target = await receiver();
    const first = await startTidings();
    const dataDir = first.dataDir;
    await first.stop();
    server = await startTidings({ dataDir, env: { TIDINGS_DYNAMIC_SIGNING: "v1a" } });
    const jwks = await jwksOf(server);
    expect(jwks.map((k) => k.kty).sort()).toEqual(["OKP", "RSA"]);
    const op = await server.api("POST", "/v1/operations", { type: "job", webhook_config: { uris: [target.url] } });
    await server.api("POST", `/v1/${op.body.name}:cancel`);
    const [delivery] = await target.waitFor(1);
    expect(nodeVerifies(jwks.find((k) => k.kty === "OKP")!, delivery!)).toBe(true);
  });
});
