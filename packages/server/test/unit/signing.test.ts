import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from "jose";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { SecretBox } from "../../src/crypto/secret-box.js";
import { ed25519PrivateKey, newEd25519SigningKey } from "../../src/signing/ed25519.js";
import { attemptSignature } from "../../src/signing/attempt-signing.js";
import { DynamicSigner } from "../../src/signing/dynamic-signer.js";
import { signStandardWebhook } from "../../src/signing/standard-webhooks.js";
import { JwtSignerPool } from "../../src/signing/jwt/pool.js";
import { StaticSigner } from "../../src/signing/static-signer.js";

interface Vector {
  secret: string;
  msg_id: string;
  timestamp: number;
  payload: string;
  signature: string;
}
const fixtures = JSON.parse(
  readFileSync(
    join(dirname(fileURLToPath(import.meta.url)), "../../../sdk/test/fixtures/standard-webhooks-vectors.json"),
    "utf8",
  ),
) as {
  sign: Vector[];
  sign_ed25519: {
    secret_key: string;
    public_key: string;
    msg_id: string;
    timestamp: number;
    payload: string;
    signature: string;
  }[];
};

const NOW = Date.parse("2026-05-04T12:00:00Z");
const box = new SecretBox(randomBytes(32));
const sealed = (secrets: object[]) => box.seal(JSON.stringify(secrets));
const signer = new StaticSigner(box);
/** The `webhook-signature` a static webhook with these secrets sends at NOW, as the sender makes it. */
const staticSignature = (secrets: object[], id: string, timestampSeconds: number, body: string) =>
  attemptSignature(signer.signing(sealed(secrets), NOW), id, timestampSeconds, body);

/** node:crypto alone, as a receiver would: the raw 32-byte key behind `whpk_`, in an SPKI wrapper. */
function verifiesWith(publicKey: string, content: string, entry: string): boolean {
  const raw = Buffer.from(publicKey.slice("whpk_".length), "base64");
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]),
    format: "der",
    type: "spki",
  });
  return verify(null, Buffer.from(content), key, Buffer.from(entry.slice("v1a,".length), "base64"));
}

describe("Standard Webhooks signing", () => {
  it.each(fixtures.sign)("reproduces the official vector for $msg_id", (v) => {
    expect(signStandardWebhook(v.secret, v.msg_id, v.timestamp, v.payload)).toBe(v.signature);
  });

  it("signs with every unexpired secret, each verifiable on its own", async () => {
    const secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"];
    const ts = Math.floor(Date.now() / 1000);
    const header = staticSignature(
      [
        { secret: secrets[0], createdAt: NOW },
        { secret: secrets[1], createdAt: NOW - 1, expireAt: NOW + 1 },
        { secret: "whsec_ZXhwaXJlZGV4cGlyZWRleHBpcmVk", createdAt: NOW - 2, expireAt: NOW },
      ],
      "msg_1",
      ts,
      "{}",
    );
    expect(header.split(" ")).toHaveLength(2);
    for (const secret of secrets) {
      expect(() =>
        new Webhook(secret).verify("{}", {
          "webhook-id": "msg_1",
          "webhook-timestamp": String(ts),
          "webhook-signature": header,
        }),
      ).not.toThrow();
    }
  });

  it("signs a v1a webhook with Ed25519, one v1a entry per unexpired key, each verifying with node:crypto under its whpk_ key", async () => {
    const current = newEd25519SigningKey(randomBytes(32));
    const previous = newEd25519SigningKey(randomBytes(32));
    expect(current.secret).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);
    expect(Buffer.from(current.publicKey.slice("whpk_".length), "base64")).toHaveLength(32);
    const header = staticSignature(
      [
        { ...current, createdAt: NOW },
        { ...previous, createdAt: NOW - 1, expireAt: NOW + 1 },
      ],
      "msg_2",
      1_777_896_000,
      '{"type":"export.succeeded"}',
    );
    const entries = header.split(" ");
    expect(entries.map((e) => e.slice(0, 4))).toEqual(["v1a,", "v1a,"]);
    const content = 'msg_2.1777896000.{"type":"export.succeeded"}';
    expect(verifiesWith(current.publicKey, content, entries[0]!)).toBe(true);
    expect(verifiesWith(previous.publicKey, content, entries[1]!)).toBe(true);
    expect(verifiesWith(current.publicKey, content.replace("succeeded", "failed"), entries[0]!)).toBe(false);
  });

  it.each(fixtures.sign_ed25519)("reproduces Svix's ed25519 vector for $msg_id with its whsk_ key", async (v) => {
    const header = staticSignature(
      [{ secret: v.secret_key, publicKey: v.public_key, createdAt: NOW }],
      v.msg_id,
      v.timestamp,
      v.payload,
    );
    expect(header).toBe(v.signature);
  });

  it("refuses a key that is not whsk_ + 64 bytes", () => {
    expect(() => ed25519PrivateKey("whsk_AAAA")).toThrow(/64 bytes/);
    expect(() => ed25519PrivateKey(`whsec_${randomBytes(32).toString("base64")}`)).toThrow(/Ed25519/);
  });
});

/** A ring key of `alg` (EdDSA or ES256), active from the epoch, and its public JWK. */
function ringKey(alg: "EdDSA" | "ES256") {
  const pair = alg === "EdDSA" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = `k-${alg}`;
  return {
    key: { kid, activatesAt: 0, privateJwk: { ...pair.privateKey.export({ format: "jwk" }), alg, kid } as JWK },
    publicJwk: { ...pair.publicKey.export({ format: "jwk" }), alg } as JWK,
  };
}

const threadsOf = (pool: JwtSignerPool) =>
  (pool as unknown as { workers: { worker: { postMessage: (m: unknown) => void } }[] }).workers;

describe("the signing pool", () => {
  it("hands Ed25519 keys to the sender without starting a thread, and starts its threads with the first token that needs one", async () => {
    // A thread holds a V8 heap of its own: a process that signs only HMAC or Ed25519 should not pay for one.
    const eddsa = ringKey("EdDSA");
    const es256 = ringKey("ES256");
    const pool = new JwtSignerPool([eddsa.key], 1);
    try {
      expect(pool.ed25519KeyAt(1_000)?.kid).toBe(eddsa.key.kid);
      expect(pool.v1aKeysAt(1_000)).toHaveLength(1);
      await expect(pool.sign({ iat: 1 }, 1_000)).rejects.toThrow(/Ed25519/);
      expect(threadsOf(pool)).toHaveLength(0);
      pool.setKeys([{ ...es256.key, activatesAt: 0 }]);
      expect(pool.ed25519KeyAt(1_000)).toBeUndefined();
      expect(await pool.sign({ iat: 1 }, 1_000)).toMatch(/^ey/);
      expect(threadsOf(pool)).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it("sends a thread what one turn asked of it in one message, and answers each request with its own token", async () => {
    const es256 = ringKey("ES256");
    const pool = new JwtSignerPool([es256.key], 1);
    try {
      await pool.sign({ warm: "up" }, 1_000);
      const [{ worker }] = threadsOf(pool) as [{ worker: { postMessage: (m: unknown) => void } }];
      let messages = 0;
      const postMessage = worker.postMessage.bind(worker);
      worker.postMessage = (m) => {
        messages++;
        postMessage(m);
      };
      const tokens = await Promise.all(Array.from({ length: 100 }, (_, n) => pool.sign({ n }, 1_000)));
      expect(messages).toBe(1);
      const publicKey = await importJWK(es256.publicJwk, "ES256");
      for (const [n, token] of tokens.entries())
        expect((await jwtVerify(token, publicKey, { algorithms: ["ES256"] })).payload).toEqual({ n });
    } finally {
      await pool.close();
    }
  });

  it.each(["EdDSA", "ES256"] as const)(
    "signs a dynamic delivery's %s JWT, which jose verifies under the public key, with kid, typ and the body's hash",
    async (alg) => {
      const { key, publicJwk } = ringKey(alg);
      const pool = new JwtSignerPool([key], 1);
      try {
        const delivery = {
          uri: "https://receiver.test/hook",
          eventId: "msg_1",
          body: '{"type":"job.succeeded","n":"é"}',
        };
        const signing = await new DynamicSigner(pool, "jwt", "https://tidings.test").signing(
          delivery,
          1_700_000_000,
          1_700_000_000_000,
        );
        expect(signing.kind).toBe(alg === "EdDSA" ? "eddsa-jwt" : "signed");
        const token = attemptSignature(signing, delivery.eventId, 1_700_000_000, delivery.body);
        expect(decodeProtectedHeader(token)).toEqual({ alg, typ: "JWT", kid: key.kid });
        const { payload } = await jwtVerify(token, await importJWK(publicJwk, alg), {
          algorithms: [alg],
          issuer: "https://tidings.test",
          audience: delivery.uri,
          currentDate: new Date(1_700_000_000_000),
        });
        expect(payload).toMatchObject({ iat: 1_700_000_000, jti: "msg_1", type: "job.succeeded" });
        expect(payload.body_sha256).toBe(createHash("sha256").update(delivery.body).digest("base64url"));
      } finally {
        await pool.close();
      }
    },
  );
});
