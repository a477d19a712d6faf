import { createHash } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { verifyWebhook } from "@tidings/sdk/verify";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { ADMIN_KEY, ManualClock, registerWebhook, startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer | undefined;
const receivers: Receiver[] = [];
afterEach(async () => {
  await server?.close();
  for (const r of receivers.splice(0)) await r.close();
});

async function verifyDynamic(
  server: TestServer,
  r: { headers: Record<string, unknown>; body: string },
  audience: string,
  jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)),
) {
  const token = String(r.headers["webhook-signature"]);
  const { payload } = await jwtVerify(token, jwks, {
    audience,
    issuer: server.config.publicUrl,
    algorithms: ["RS256"],
  });
  expect(payload.jti).toBe(r.headers["webhook-id"]);
  expect(payload.body_sha256).toBe(createHash("sha256").update(r.body).digest("base64url"));
  expect((payload.exp as number) - (payload.iat as number)).toBe(300);
  return payload;
}

describe("dynamic webhooks (webhook_config)", () => {
  it("sends an operation's events to its own URIs instead of static webhooks, with a JWT that verifies against the JWKS", async () => {
    const dynamicA = await startReceiver();
    const dynamicB = await startReceiver();
    const statics = await startReceiver();
    receivers.push(dynamicA, dynamicB, statics);
    server = await startTidings();
    await registerWebhook(server, statics.url);
    const op = await server.api("POST", "/v1/operations", {
      type: "render",
      webhook_config: { uris: [dynamicA.url, dynamicB.url], user_metadata: { order: "o-42", tier: 2 } },
    });
    expect(op.status).toBe(200);
    await server.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/v1" });

    const [a] = await dynamicA.waitFor(1);
    const [b] = await dynamicB.waitFor(1);
    expect(a!.headers["webhook-id"]).toBe(b!.headers["webhook-id"]);
    const claims = await verifyDynamic(server, a!, dynamicA.url);
    expect(claims).toMatchObject({ type: "render.succeeded" });
    expect(JSON.parse(a!.body)).toMatchObject({
      type: "render.succeeded",
      data: { user_metadata: { order: "o-42", tier: 2 } },
    });
    await verifyDynamic(server, b!, dynamicB.url);
    // And the SDK receivers use agrees.
    const viaSdk = await verifyWebhook(a!.body, a!.headers as Record<string, string>, {
      jwks: `${server.url}/.well-known/jwks.json`,
      audience: dynamicA.url,
    });
    expect(viaSdk).toMatchObject({ type: "render.succeeded", data: { id: op.body.name } });
    // The token is bound to its audience: A's token does not verify as B's.
    await expect(verifyDynamic(server, a!, dynamicB.url)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(statics.received).toHaveLength(0);
  });

  it("delivers an event with 64 KB of user_metadata: the token carries the body's hash and type, never the payload, and stays under 2 KB", async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    server = await startTidings();
    const userMetadata = { blob: "x".repeat(64 * 1024), order: "o-42" };
    const op = await server.api("POST", "/v1/operations", {
      type: "render",
      webhook_config: { uris: [receiver.url], user_metadata: userMetadata },
    });
    expect(op.status).toBe(200);
    await server.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/big" });

    const [got] = await receiver.waitFor(1);
    const header = String(got!.headers["webhook-signature"]);
    expect(Buffer.byteLength(header)).toBeLessThan(2048);
    expect(JSON.parse(got!.body)).toMatchObject({ type: "render.succeeded", data: { user_metadata: userMetadata } });
    const claims = await verifyDynamic(server, got!, receiver.url);
    expect(Object.keys(claims).sort()).toEqual(["aud", "body_sha256", "exp", "iat", "iss", "jti", "type"]);
    expect(claims.type).toBe("render.succeeded");
    const viaSdk = await verifyWebhook(got!.body, got!.headers as Record<string, string>, {
      jwks: `${server.url}/.well-known/jwks.json`,
      audience: receiver.url,
    });
    expect(viaSdk).toMatchObject({ type: "render.succeeded", data: { id: op.body.name, user_metadata: userMetadata } });
  });

  it("serves the JWKS without auth, cacheably; a rotation publishes the next key at once, signs with it after the propagation time, and keeps the old one 48 h", async () => {
    const clock = new ManualClock(Date.now());
    const receiver = await startReceiver();
    receivers.push(receiver);
    server = await startTidings({ clock, env: { TIDINGS_JWKS_PROPAGATION_S: "900" } });
    const first = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(first.headers.get("cache-control")).toContain("max-age");
    const before = ((await first.json()) as { keys: { kid: string; kty: string; d?: string }[] }).keys;
    expect(before).toHaveLength(1);
    expect(before[0]!.kty).toBe("RSA");
    expect(before[0]!.d).toBeUndefined();

    expect((await server.api("POST", "/v1/signingKeys:rotate")).status).toBe(403);
    const rotated = await server.api("POST", "/v1/signingKeys:rotate", undefined, ADMIN_KEY);
    expect(rotated.status).toBe(200);
    expect(Date.parse(rotated.body.activate_time)).toBe(clock.now() + 900_000);
    const after = ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] })
      .keys;
    expect(after.map((k) => k.kid).sort()).toEqual([before[0]!.kid, rotated.body.kid].sort());

    const kidOfNextDelivery = async (n: number) => {
      const op = await server!.api("POST", "/v1/operations", { type: "job", webhook_config: { uris: [receiver.url] } });
      await server!.api("POST", `/v1/${op.body.name}:cancel`);
      return decodeProtectedHeader(String((await receiver.waitFor(n))[n - 1]!.headers["webhook-signature"])).kid;
    };
    // Published, not yet signing: receivers have had no chance to see it.
    expect(await kidOfNextDelivery(1)).toBe(before[0]!.kid);
    clock.advance(900_000);
    expect(await kidOfNextDelivery(2)).toBe(rotated.body.kid);

    clock.advance(48 * 3600_000 - 1000);
    const stillThere = (
      (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    ).keys;
    expect(stillThere).toHaveLength(2);
    clock.advance(2000);
    const later = ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] })
      .keys;
    expect(later.map((k) => k.kid)).toEqual([rotated.body.kid]);
  });

  it("a receiver using jose's createRemoteJWKSet that fetched the JWKS just before a rotation never meets an unknown kid", async () => {
    const clock = new ManualClock(Date.now());
    const receiver = await startReceiver();
    receivers.push(receiver);
    server = await startTidings({ clock, env: { TIDINGS_JWKS_PROPAGATION_S: "1" } });
    // jose's defaults but for how long it caches: shorter than the server's propagation time, as it must be.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`), { cacheMaxAge: 500 });
    const deliverOne = async (n: number) => {
      const op = await server!.api("POST", "/v1/operations", { type: "job", webhook_config: { uris: [receiver.url] } });
      await server!.api("POST", `/v1/${op.body.name}:cancel`);
      return (await receiver.waitFor(n))[n - 1]!;
    };
    await verifyDynamic(server, await deliverOne(1), receiver.url, jwks);
    await server.api("POST", "/v1/signingKeys:rotate", undefined, ADMIN_KEY);
    // Right after the rotation: jose would refuse to refetch for 30 s, so this must still be the key it knows.
    await verifyDynamic(server, await deliverOne(2), receiver.url, jwks);
    // Once the new key signs, the receiver's cache has expired and its refetch finds the key already published.
    await new Promise((resolve) => setTimeout(resolve, 600));
    clock.advance(1000);
    const signedWithNew = await deliverOne(3);
    await verifyDynamic(server, signedWithNew, receiver.url, jwks);
    expect(decodeProtectedHeader(String(signedWithNew.headers["webhook-signature"])).kid).not.toBe(
      decodeProtectedHeader(String(receiver.received[0]!.headers["webhook-signature"])).kid,
    );
  });

  it.each(["ES256", "EdDSA"])(
    "signs with %s when TIDINGS_JWT_ALG asks, verified by jose against the JWKS and by the SDK",
    async (alg) => {
      const receiver = await startReceiver();
      receivers.push(receiver);
      server = await startTidings({ env: { TIDINGS_JWT_ALG: alg } });
      const jwks = (
        (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
          keys: { alg: string; kty: string; d?: string }[];
        }
      ).keys;
      expect(jwks.map((k) => [k.alg, k.kty])).toEqual([[alg, alg === "ES256" ? "EC" : "OKP"]]);
      expect(jwks[0]!.d).toBeUndefined();
      const op = await server.api("POST", "/v1/operations", {
        type: "render",
        webhook_config: { uris: [receiver.url] },
      });
      await server.api("POST", `/v1/${op.body.name}:complete`, {});
      const [got] = await receiver.waitFor(1);
      expect(decodeProtectedHeader(String(got!.headers["webhook-signature"])).alg).toBe(alg);
      const token = String(got!.headers["webhook-signature"]);
      await jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)), {
        audience: receiver.url,
        algorithms: [alg],
      });
      const viaSdk = await verifyWebhook(got!.body, got!.headers as Record<string, string>, {
        jwks: `${server.url}/.well-known/jwks.json`,
        audience: receiver.url,
      });
      expect(viaSdk).toMatchObject({ type: "render.succeeded" });
    },
  );

  it("moves to a new TIDINGS_JWT_ALG with a staged rotation: the old key signs until the new one is published long enough", async () => {
    const clock = new ManualClock(Date.now());
    server = await startTidings({ clock });
    const { dataDir } = server;
    const rsa = (
      (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string; alg: string }[] }
    ).keys;
    await server.stop();
    server = await startTidings({
      clock,
      dataDir,
      env: { TIDINGS_JWT_ALG: "EdDSA", TIDINGS_JWKS_PROPAGATION_S: "900" },
    });
    const both = (
      (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string; alg: string }[] }
    ).keys;
    expect(both.map((k) => k.alg).sort()).toEqual(["EdDSA", "RS256"]);
    expect(both.find((k) => k.alg === "RS256")!.kid).toBe(rsa[0]!.kid);
  });

  it("keeps the signing key across restarts, encrypted at rest", async () => {
    server = await startTidings();
    const kid = ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] })
      .keys[0]!.kid;
    const dataDir = server.dataDir;
    await server.stop();
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(`${dataDir}/tidings.db`).includes('"d":"')).toBe(false);
    server = await startTidings({ dataDir });
    const again = ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] })
      .keys;
    expect(again.map((k) => k.kid)).toEqual([kid]);
  });
});
