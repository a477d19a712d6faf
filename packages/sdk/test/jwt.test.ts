import { createHash } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AudienceError,
  createVerifier,
  InvalidSignatureError,
  IssuerError,
  KeySetUnavailableError,
  MissingHeaderError,
  TimestampError,
  TokenExpiredError,
  UnknownKeyError,
  verifyWebhook,
  type JSONWebKeySet,
} from "../src/verify/index.js";
import { listen, type TestServer } from "./helpers.js";

interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateKey, jwk };
}

const ISSUER = "https://tidings.example";
const AUDIENCE = "https://receiver.example/hooks/tidings";

interface SignOptions {
  key: TestKey;
  body: string;
  webhookId: string;
  audience?: string;
  issuer?: string;
  iat?: number;
  exp?: number;
  bodyHash?: string;
  jti?: string;
}

/** Signs as Tidings does (docs/wire.md: signing), with each claim overridable to build bad tokens. */
async function signDelivery(o: SignOptions): Promise<Record<string, string>> {
  const event = JSON.parse(o.body) as Record<string, unknown>;
  const iat = o.iat ?? Math.floor(Date.now() / 1000);
  // The event stays in the body; the token carries only its type and the body's hash.
  const token = await new SignJWT({
    type: event.type,
    body_sha256: o.bodyHash ?? createHash("sha256").update(o.body).digest("base64url"),
  })
    .setProtectedHeader({ alg: "RS256", kid: o.key.kid, typ: "JWT" })
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(o.exp ?? iat + 300)
    .setJti(o.jti ?? o.webhookId)
    .sign(o.key.privateKey);
  return {
    "webhook-id": o.webhookId,
    "webhook-timestamp": String(iat),
    "webhook-signature": token,
    "content-type": "application/json",
  };
}

let counter = 0;
function delivery(): { body: string; webhookId: string } {
  counter++;
  const body = JSON.stringify({
    type: "interaction.requires_action",
    version: "v1",
    timestamp: new Date().toISOString(),
    data: {
      id: `interactions/i${counter}`,
      required_actions: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }],
      user_metadata: { order: counter, tenant: "acme" },
    },
  });
  return { body, webhookId: `msg_jwt${String(counter).padStart(24, "0")}` };
}

describe("verifyWebhook with { jwks, audience } (RS256 JWT)", () => {
  let oldKey: TestKey;
  let newKey: TestKey;
  let strangerKey: TestKey;
  let served: JWK[];
  let fetches = 0;
  let jwksServer: TestServer;
  let jwksUrl: string;

  beforeAll(async () => {
    [oldKey, newKey, strangerKey] = await Promise.all([makeKey("k-old"), makeKey("k-new"), makeKey("k-stranger")]);
    served = [oldKey.jwk];
    jwksServer = await listen((req, res) => {
      if (req.url !== "/.well-known/jwks.json") {
        res.writeHead(404).end();
        return;
      }
      fetches++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: served }));
    });
    jwksUrl = `${jwksServer.url}/.well-known/jwks.json`;
  });

  afterAll(() => jwksServer.close());

  it("accepts a good token and returns the body's event", async () => {
    const d = delivery();
    const headers = await signDelivery({ key: oldKey, ...d });
    const event = await verifyWebhook(d.body, headers, { jwks: jwksUrl, audience: AUDIENCE, issuer: ISSUER });
    expect(event).toEqual(JSON.parse(d.body));
    expect(event.type).toBe("interaction.requires_action");
    // Bytes work the same, and header names are case-insensitive.
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    await expect(
      verifyWebhook(new TextEncoder().encode(d.body), upper, { jwks: jwksUrl, audience: AUDIENCE }),
    ).resolves.toEqual(event);
  });

  it("rejects a changed body (body_sha256)", async () => {
    const d = delivery();
    const headers = await signDelivery({ key: oldKey, ...d });
    const changed = d.body.replace('"acme"', '"evil"');
    expect(changed).not.toBe(d.body);
    await expect(verifyWebhook(changed, headers, { jwks: jwksUrl, audience: AUDIENCE })).rejects.toBeInstanceOf(
      InvalidSignatureError,
    );
    // Whitespace-only changes too: the hash covers the exact bytes, not the JSON value.
    await expect(verifyWebhook(`${d.body}\n`, headers, { jwks: jwksUrl, audience: AUDIENCE })).rejects.toBeInstanceOf(
      InvalidSignatureError,
    );
  });

  it("rejects a token minted for another audience", async () => {
    const d = delivery();
    const headers = await signDelivery({ key: oldKey, ...d, audience: "https://other.example/hook" });
    const error = await verifyWebhook(d.body, headers, { jwks: jwksUrl, audience: AUDIENCE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudienceError);
    expect((error as AudienceError).code).toBe("invalid_audience");
  });

  it("rejects an expired token, a token older than the tolerance, and one from the future", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = delivery();
    const expiredHeaders = await signDelivery({ key: oldKey, ...expired, iat: now - 400, exp: now - 100 });
    const error = await verifyWebhook(expired.body, expiredHeaders, { jwks: jwksUrl, audience: AUDIENCE }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect(error).toBeInstanceOf(TimestampError);
    expect((error as TokenExpiredError).code).toBe("token_expired");

    // A long-lived token is still bounded by the tolerance on iat.
    const old = delivery();
    const oldHeaders = await signDelivery({ key: oldKey, ...old, iat: now - 400, exp: now + 3600 });
    await expect(verifyWebhook(old.body, oldHeaders, { jwks: jwksUrl, audience: AUDIENCE })).rejects.toBeInstanceOf(
      TimestampError,
    );

    const future = delivery();
    const futureHeaders = await signDelivery({ key: oldKey, ...future, iat: now + 120 });
    await expect(
      verifyWebhook(future.body, futureHeaders, { jwks: jwksUrl, audience: AUDIENCE }),
    ).rejects.toBeInstanceOf(TimestampError);
    // ...which the `now` option can move into range.
    await expect(
      verifyWebhook(future.body, futureHeaders, { jwks: jwksUrl, audience: AUDIENCE, now: () => (now + 130) * 1000 }),
    ).resolves.toMatchObject({
      type: "interaction.requires_action",
    });
  });

  it("rejects a token signed by a key that is not in the JWKS (UnknownKeyError)", async () => {
    const d = delivery();
    const headers = await signDelivery({ key: strangerKey, ...d });
    const before = fetches;
    // Cooldown 0: jose refetches on the unknown kid, still does not find it, and gives up.
    const error = await verifyWebhook(d.body, headers, { jwks: jwksUrl, audience: AUDIENCE, jwksCooldownMs: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnknownKeyError);
    expect((error as UnknownKeyError).code).toBe("unknown_key");
    expect(fetches).toBeGreaterThan(before);
  });

  it("a key with the right kid but the wrong key material fails the signature", async () => {
    const d = delivery();
    const impostor = { ...strangerKey, kid: oldKey.kid };
    const headers = await signDelivery({ key: impostor, ...d });
    await expect(verifyWebhook(d.body, headers, { jwks: jwksUrl, audience: AUDIENCE })).rejects.toBeInstanceOf(
      InvalidSignatureError,
    );
  });

  it("checks iss when asked, jti against webhook-id, and the headers", async () => {
    const d = delivery();
    const headers = await signDelivery({ key: oldKey, ...d, issuer: "https://evil.example" });
    await expect(
      verifyWebhook(d.body, headers, { jwks: jwksUrl, audience: AUDIENCE, issuer: ISSUER }),
    ).rejects.toBeInstanceOf(IssuerError);
    await expect(verifyWebhook(d.body, headers, { jwks: jwksUrl, audience: AUDIENCE })).resolves.toBeDefined();

    const replayed = await signDelivery({ key: oldKey, ...d, jti: "msg_someotherdelivery000000000" });
    await expect(verifyWebhook(d.body, replayed, { jwks: jwksUrl, audience: AUDIENCE })).rejects.toBeInstanceOf(
      InvalidSignatureError,
    );

    const { "webhook-id": _id, ...noId } = await signDelivery({ key: oldKey, ...d });
    await expect(verifyWebhook(d.body, noId, { jwks: jwksUrl, audience: AUDIENCE })).rejects.toBeInstanceOf(
      MissingHeaderError,
    );
    const hmacStyle = { "webhook-id": d.webhookId, "webhook-timestamp": "1", "webhook-signature": "v1,abc=" };
    await expect(verifyWebhook(d.body, hmacStyle, { jwks: jwksUrl, audience: AUDIENCE })).rejects.toThrow(
      /HMAC signature/,
    );
  });

  it("after a rotation, a verifier holding the old JWKS refetches on the new kid", async () => {
    const fetchesBefore = fetches;
    // A distinct cooldown gives this test its own cached key set (the cache is per URL and settings).
    const verify = createVerifier({ jwks: jwksUrl, audience: AUDIENCE, jwksCooldownMs: 50 });
    for (let i = 0; i < 3; i++) {
      const d = delivery();
      await expect(verify(d.body, await signDelivery({ key: oldKey, ...d }))).resolves.toBeDefined();
    }
    expect(fetches - fetchesBefore).toBe(1); // cached: one fetch for three verifications

    served = [newKey.jwk, oldKey.jwk]; // the server rotates: current and previous keys
    await new Promise((r) => setTimeout(r, 60)); // past the (test-sized) cooldown
    const d = delivery();
    await expect(verify(d.body, await signDelivery({ key: newKey, ...d }))).resolves.toMatchObject({
      data: { id: expect.any(String) },
    });
    expect(fetches - fetchesBefore).toBe(2);
    // Old-key tokens still verify from the refreshed set, without another fetch.
    const o = delivery();
    await expect(verify(o.body, await signDelivery({ key: oldKey, ...o }))).resolves.toBeDefined();
    expect(fetches - fetchesBefore).toBe(2);
  });

  it("with the default cooldown, a new kid right after a fetch is not refetched (documents jose's 30 s floor)", async () => {
    served = [oldKey.jwk];
    const verify = createVerifier({ jwks: jwksUrl, audience: AUDIENCE, jwksCacheMaxAgeMs: 599_999 });
    const d = delivery();
    await verify(d.body, await signDelivery({ key: oldKey, ...d }));
    const before = fetches;
    served = [newKey.jwk, oldKey.jwk];
    const n = delivery();
    await expect(verify(n.body, await signDelivery({ key: newKey, ...n }))).rejects.toBeInstanceOf(UnknownKeyError);
    expect(fetches).toBe(before);
  });

  it("accepts a JWKS object or a key getter instead of a URL", async () => {
    const jwks: JSONWebKeySet = { keys: [oldKey.jwk] };
    const d = delivery();
    const headers = await signDelivery({ key: oldKey, ...d });
    await expect(verifyWebhook(d.body, headers, { jwks, audience: AUDIENCE })).resolves.toEqual(JSON.parse(d.body));
    const n = delivery();
    await expect(
      verifyWebhook(n.body, await signDelivery({ key: newKey, ...n }), { jwks, audience: AUDIENCE }),
    ).rejects.toBeInstanceOf(UnknownKeyError);
    await expect(
      verifyWebhook(d.body, headers, { jwks: async () => oldKey.jwk, audience: AUDIENCE }),
    ).resolves.toBeDefined();
  });

  it("an unreachable JWKS is KeySetUnavailableError (the receiver's problem), not a bad signature", async () => {
    const down = await listen(() => {});
    const url = `${down.url}/.well-known/jwks.json`;
    await down.close();
    const d = delivery();
    const headers = await signDelivery({ key: oldKey, ...d });
    await expect(verifyWebhook(d.body, headers, { jwks: url, audience: AUDIENCE })).rejects.toBeInstanceOf(
      KeySetUnavailableError,
    );
  });

  it("requires an audience when built once", () => {
    expect(() => createVerifier({ jwks: jwksUrl, audience: "" })).toThrow(/audience/);
  });
});
