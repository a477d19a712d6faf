import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import {
  createVerifier,
  Ed25519WebhookVerifier,
  InvalidSecretError,
  InvalidSignatureError,
  UnknownKeyError,
  verifyWebhook,
  type JSONWebKeySet,
} from "../src/verify/index.js";
import { listen, readFixture, type SigningCase, type SigningVectors } from "./helpers.js";

const vectors = readFixture<SigningVectors>("signing-vectors.json");
const official = readFixture<{
  sign_ed25519: { public_key: string; msg_id: string; timestamp: number; payload: string; signature: string }[];
}>("standard-webhooks-vectors.json");
const at = () => vectors.verify_at * 1000;
const headersOf = (c: Pick<SigningCase, "msg_id" | "timestamp" | "signature">) => ({
  "webhook-id": c.msg_id,
  "webhook-timestamp": String(c.timestamp),
  "webhook-signature": c.signature,
});

/** What verifyWebhook answers: "ok" or the error's code. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  return run().then(
    () => "ok",
    (error: { code?: string }) => error.code ?? String(error),
  );
}

/** node:crypto alone: does some v1a entry verify under this raw key? The independent check of every "ok" case. */
function nodeCryptoVerifies(
  publicKey: { x: string } | string,
  c: Pick<SigningCase, "msg_id" | "timestamp" | "payload" | "signature">,
): boolean {
  const x =
    typeof publicKey === "string"
      ? Buffer.from(publicKey.replace(/^whpk_/, ""), "base64").toString("base64url")
      : publicKey.x;
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  const content = Buffer.from(`${c.msg_id}.${c.timestamp}.${c.payload}`);
  return c.signature
    .split(" ")
    .filter((e) => e.startsWith("v1a,"))
    .some((e) => nodeVerify(null, content, key, Buffer.from(e.slice(4), "base64")));
}

describe("v1a (Ed25519) verification", () => {
  describe.each(vectors.static_v1a.cases)("static webhook: $name", (c) => {
    it(`answers ${c.expect}`, async () => {
      expect(await outcome(() => verifyWebhook(c.payload, headersOf(c), { publicKey: c.public_keys!, now: at }))).toBe(
        c.expect,
      );
      // The same answer from a verifier built once, as receivers use.
      expect(await outcome(() => createVerifier({ publicKey: c.public_keys!, now: at })(c.payload, headersOf(c)))).toBe(
        c.expect,
      );
      if (c.expect === "ok") expect(c.public_keys!.some((k) => nodeCryptoVerifies(k, c))).toBe(true);
      else if (c.expect === "invalid_signature")
        expect(c.public_keys!.some((k) => nodeCryptoVerifies(k, c))).toBe(false);
    });
  });

  describe.each(vectors.dynamic.cases)("dynamic delivery: $name", (c) => {
    it(`answers ${c.expect}`, async () => {
      const options = {
        jwks: vectors.dynamic.jwks as JSONWebKeySet,
        audience: vectors.dynamic.audience,
        issuer: vectors.dynamic.issuer,
        now: at,
      };
      expect(await outcome(() => verifyWebhook(c.payload, headersOf(c), options))).toBe(c.expect);
      if (c.expect !== "ok") return;
      if (c.signature.startsWith("v1a,")) {
        const okp = vectors.dynamic.jwks.keys.filter((k) => k.kty === "OKP") as { x: string }[];
        expect(okp.some((k) => nodeCryptoVerifies(k, c))).toBe(true);
      } else {
        // The JWT by jose directly: signature under the kid it names.
        const { kid } = decodeProtectedHeader(c.signature);
        expect(kid).toBeDefined();
        await expect(
          compactVerify(c.signature, createLocalJWKSet(vectors.dynamic.jwks as JSONWebKeySet)),
        ).resolves.toBeDefined();
      }
    });
  });

  it.each(official.sign_ed25519)("verifies Svix's ed25519 vector for $msg_id", async (v) => {
    // Its payload is not a Tidings event: the signature alone is checked.
    const verified = await new Ed25519WebhookVerifier({
      publicKey: v.public_key,
      now: () => v.timestamp * 1000,
    }).verifySignature(v.payload, headersOf(v));
    expect(verified).toEqual({ webhookId: v.msg_id, timestamp: v.timestamp });
  });

  it("says which option fits when a delivery's scheme and the options disagree", async () => {
    const [v1a] = vectors.static_v1a.cases;
    const asHmac = verifyWebhook(v1a!.payload, headersOf(v1a!), {
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      now: at,
    });
    await expect(asHmac).rejects.toThrow(InvalidSignatureError);
    await expect(asHmac).rejects.toThrow(/publicKey/);
    const hmacHeader = { ...headersOf(v1a!), "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" };
    await expect(verifyWebhook(v1a!.payload, hmacHeader, { publicKey: v1a!.public_keys!, now: at })).rejects.toThrow(
      /\{ secret \}/,
    );
  });

  it("refuses an unusable public key when the verifier is built, not on the first delivery", () => {
    for (const bad of ["", "whpk_", "whpk_AAAA", "whpk_not base64!"]) {
      expect(() => new Ed25519WebhookVerifier({ publicKey: bad }), bad).toThrow(InvalidSecretError);
      expect(() => createVerifier({ publicKey: bad }), bad).toThrow(InvalidSecretError);
    }
    expect(() => new Ed25519WebhookVerifier({ publicKey: [] })).toThrow(InvalidSecretError);
  });

  it("says unknown_key when the JWKS has no Ed25519 key at all", async () => {
    const rsaOnly = { keys: vectors.dynamic.jwks.keys.filter((k) => k.kty === "RSA") } as JSONWebKeySet;
    const [c] = vectors.dynamic.cases;
    await expect(
      verifyWebhook(c!.payload, headersOf(c!), { jwks: rsaOnly, audience: vectors.dynamic.audience, now: at }),
    ).rejects.toThrow(UnknownKeyError);
  });

  it("fetches a JWKS URL again when no cached key verifies a v1a entry: a key rotated in after the first fetch", async () => {
    const okp = vectors.dynamic.jwks.keys.filter((k) => k.kty === "OKP");
    // The server first publishes only the key in use; after a rotation, the next one as well.
    let published = [okp[0]];
    let fetches = 0;
    const server = await listen((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
    });
    try {
      const options = {
        jwks: `${server.url}/jwks.json`,
        audience: vectors.dynamic.audience,
        now: at,
        jwksCooldownMs: 0,
      };
      const [first, rotation] = vectors.dynamic.cases;
      await verifyWebhook(first!.payload, headersOf(first!), options);
      expect(fetches).toBe(1);
      // Signed by the next key alone: the cached JWKS cannot verify it, a fresh one can.
      const byNextKey = { ...rotation!, signature: rotation!.signature.split(" ")[1]! };
      published = okp;
      await expect(verifyWebhook(byNextKey.payload, headersOf(byNextKey), options)).resolves.toMatchObject({
        type: "batch.succeeded",
      });
      expect(fetches).toBe(2);
    } finally {
      await server.close();
    }
  });
});
