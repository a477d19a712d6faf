import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import {
  createVerifier,
  InvalidPayloadError,
  InvalidSecretError,
  InvalidSignatureError,
  MissingHeaderError,
  signStandardWebhook,
  StandardWebhookVerifier,
  TimestampError,
  verifyWebhook,
  WebhookVerificationError,
} from "../src/verify/index.js";
import { createWebhookReceiver } from "../src/index.js";
import { randomSecret, readFixture, sampleEvent, type VectorsFile } from "./helpers.js";

const vectors = readFixture<VectorsFile>("standard-webhooks-vectors.json");
const first = vectors.sign[0]!;

function headersFor(id: string, timestamp: number | string, signature: string): Record<string, string> {
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

function verifierAt(secret: string, timestampSeconds: number, toleranceSeconds?: number): StandardWebhookVerifier {
  return new StandardWebhookVerifier({
    secret,
    now: () => timestampSeconds * 1000,
    ...(toleranceSeconds !== undefined && { toleranceSeconds }),
  });
}

describe("official Standard Webhooks vectors", () => {
  it("has the vectors this suite relies on", () => {
    expect(vectors.sign.length).toBeGreaterThanOrEqual(2);
    expect(vectors.tolerance_seconds).toBe(300);
  });

  it.each(vectors.sign)("signStandardWebhook reproduces $msg_id", (v) => {
    expect(signStandardWebhook(v.secret, v.msg_id, v.timestamp, v.payload)).toBe(v.signature);
    expect(signStandardWebhook(v.secret, v.msg_id, v.timestamp, new TextEncoder().encode(v.payload))).toBe(v.signature);
    // Raw base64 without the prefix is the same key.
    expect(signStandardWebhook(v.secret.slice("whsec_".length), v.msg_id, v.timestamp, v.payload)).toBe(v.signature);
  });

  it.each(vectors.sign)("verifies $msg_id at its own timestamp", async (v) => {
    const headers = headersFor(v.msg_id, v.timestamp, v.signature);
    expect(verifierAt(v.secret, v.timestamp).verifySignature(v.payload, headers)).toEqual({
      webhookId: v.msg_id,
      timestamp: v.timestamp,
    });
    expect(
      verifierAt(v.secret, v.timestamp).verifySignature(new TextEncoder().encode(v.payload), headers).webhookId,
    ).toBe(v.msg_id);
    // The vectors' payloads are not Tidings events: verifyWebhook gets past the signature and then
    // rejects the payload, which is how we know the signature itself was accepted.
    await expect(
      verifyWebhook(v.payload, headers, { secret: v.secret, now: () => v.timestamp * 1000 }),
    ).rejects.toBeInstanceOf(InvalidPayloadError);
  });

  it.each(vectors.reject_signature_headers_for_first_sign_vector)("rejects signature header %j", async (header) => {
    const verifier = verifierAt(first.secret, first.timestamp);
    const headers = headersFor(first.msg_id, first.timestamp, header);
    const expected = header === "" ? MissingHeaderError : InvalidSignatureError;
    expect(() => verifier.verifySignature(first.payload, headers)).toThrow(expected);
    await expect(
      verifyWebhook(first.payload, headers, { secret: first.secret, now: () => first.timestamp * 1000 }),
    ).rejects.toBeInstanceOf(expected);
  });

  // These entries come from the reference library's "multi sig payload is valid" test, which uses the
  // first vector's secret: they are decoys that match nothing, and the header also carries the valid
  // entry. Verification must scan past them (and past the v2 entry) to the valid one.
  describe("accept_when_a_valid_entry_is_among_others", () => {
    const others = vectors.accept_when_a_valid_entry_is_among_others;

    it("the decoys alone do not verify (for either vector)", () => {
      for (const v of vectors.sign) {
        expect(() =>
          verifierAt(v.secret, v.timestamp).verifySignature(
            v.payload,
            headersFor(v.msg_id, v.timestamp, others.join(" ")),
          ),
        ).toThrow(InvalidSignatureError);
      }
    });

    it.each(vectors.sign)("accepts $msg_id's valid entry among them, in any position", (v) => {
      const verifier = verifierAt(v.secret, v.timestamp);
      const layouts = [
        [...others, v.signature, others[0]!], // the reference test's order
        [v.signature, ...others],
        [...others, v.signature],
      ];
      for (const entries of layouts) {
        expect(
          verifier.verifySignature(v.payload, headersFor(v.msg_id, v.timestamp, entries.join(" "))).webhookId,
        ).toBe(v.msg_id);
      }
      // A proxy joining repeated headers with ", ", and Node's string[] for repeated headers.
      expect(
        verifier.verifySignature(v.payload, headersFor(v.msg_id, v.timestamp, [...others, v.signature].join(", ")))
          .webhookId,
      ).toBe(v.msg_id);
      expect(
        verifier.verifySignature(v.payload, {
          ...headersFor(v.msg_id, v.timestamp, ""),
          "webhook-signature": [...others, v.signature],
        }).webhookId,
      ).toBe(v.msg_id);
    });
  });

  describe("reject_timestamps", () => {
    const tolerance = vectors.tolerance_seconds;
    const now = first.timestamp;
    const cases: Record<string, string> = {
      "more than 300 s in the past": String(now - tolerance - 1),
      "more than 300 s in the future": String(now + tolerance + 1),
      hello: "hello",
    };

    it.each(vectors.reject_timestamps)("rejects %s", async (description) => {
      const timestamp = cases[description];
      expect(timestamp, `unknown reject_timestamps entry ${description}`).toBeDefined();
      // Correctly signed for that timestamp, so only the timestamp rule can reject it.
      const signature = /^\d+$/.test(timestamp!)
        ? signStandardWebhook(first.secret, first.msg_id, Number(timestamp), first.payload)
        : first.signature;
      const headers = headersFor(first.msg_id, timestamp!, signature);
      expect(() => verifierAt(first.secret, now).verifySignature(first.payload, headers)).toThrow(TimestampError);
    });

    it("accepts exactly at the tolerance, honours a custom tolerance, rejects malformed numbers", () => {
      for (const ts of [now - tolerance, now + tolerance]) {
        const headers = headersFor(
          first.msg_id,
          ts,
          signStandardWebhook(first.secret, first.msg_id, ts, first.payload),
        );
        expect(verifierAt(first.secret, now).verifySignature(first.payload, headers).timestamp).toBe(ts);
        expect(() => verifierAt(first.secret, now, 10).verifySignature(first.payload, headers)).toThrow(TimestampError);
      }
      for (const bad of ["-1", "1.5", "1e9", " ", "0x10", "161426533012345678"]) {
        expect(() =>
          verifierAt(first.secret, now).verifySignature(first.payload, headersFor(first.msg_id, bad, first.signature)),
        ).toThrow(bad === " " ? MissingHeaderError : TimestampError);
      }
    });
  });

  it.each(vectors.reject_secrets_at_construction)("rejects secret %j at construction", async (secret) => {
    expect(() => new StandardWebhookVerifier({ secret })).toThrow(InvalidSecretError);
    expect(() => createVerifier({ secret })).toThrow(InvalidSecretError);
    expect(() => createWebhookReceiver({ verify: { secret }, handler: () => {} })).toThrow(InvalidSecretError);
    expect(() => signStandardWebhook(secret, "msg_1", 1, "{}")).toThrow(InvalidSecretError);
    await expect(
      verifyWebhook(first.payload, headersFor(first.msg_id, first.timestamp, first.signature), { secret }),
    ).rejects.toBeInstanceOf(InvalidSecretError);
  });

  it("rejects a secret that is not base64, and an empty list", () => {
    expect(() => new StandardWebhookVerifier({ secret: "whsec_not base64!" })).toThrow(InvalidSecretError);
    expect(() => new StandardWebhookVerifier({ secret: [] })).toThrow(InvalidSecretError);
  });
});

describe("verifyWebhook with { secret }", () => {
  const secret = randomSecret();
  const body = sampleEvent();
  const now = 1_700_000_000;
  const id = "msg_2Tz8a9bQw1n3sX7yV4kLm0pRt6u";
  const signature = signStandardWebhook(secret, id, now, body);

  it("returns the typed event; headers are case-insensitive in records and Headers", async () => {
    const expected = JSON.parse(body) as unknown;
    const options = { secret, now: () => now * 1000 };
    await expect(verifyWebhook(body, headersFor(id, now, signature), options)).resolves.toEqual(expected);
    await expect(
      verifyWebhook(
        body,
        { "Webhook-Id": id, "WEBHOOK-TIMESTAMP": String(now), "Webhook-Signature": signature },
        options,
      ),
    ).resolves.toEqual(expected);
    await expect(
      verifyWebhook(new TextEncoder().encode(body), new Headers(headersFor(id, now, signature)), options),
    ).resolves.toEqual(expected);
  });

  it("accepts any of several secrets (rotation) and rejects with typed errors", async () => {
    const other = randomSecret();
    const options = { secret: [other, secret], now: () => now * 1000 };
    await expect(verifyWebhook(body, headersFor(id, now, signature), options)).resolves.toMatchObject({
      type: "batch.succeeded",
    });
    const wrong = { secret: other, now: () => now * 1000 };
    const error = await verifyWebhook(body, headersFor(id, now, signature), wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSignatureError);
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as WebhookVerificationError).code).toBe("invalid_signature");

    const missing = await verifyWebhook(body, { "webhook-id": id, "webhook-timestamp": String(now) }, options).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(MissingHeaderError);
    expect((missing as MissingHeaderError).header).toBe("webhook-signature");

    await expect(verifyWebhook(body, headersFor(id, now, signature), { secret })).rejects.toBeInstanceOf(
      TimestampError,
    );
  });

  it("rejects authentic bodies that are not events with InvalidPayloadError", async () => {
    for (const payload of [
      "not json",
      "[]",
      '{"data":{"id":"x"}}',
      '{"type":"batch.succeeded"}',
      '{"type":"x.succeeded","data":{}}',
    ]) {
      const headers = headersFor(id, now, signStandardWebhook(secret, id, now, payload));
      await expect(verifyWebhook(payload, headers, { secret, now: () => now * 1000 })).rejects.toBeInstanceOf(
        InvalidPayloadError,
      );
    }
    const invalidUtf8 = new Uint8Array([0x7b, 0xff, 0x7d]);
    const headers = headersFor(id, now, signStandardWebhook(secret, id, now, invalidUtf8));
    await expect(verifyWebhook(invalidUtf8, headers, { secret, now: () => now * 1000 })).rejects.toBeInstanceOf(
      InvalidPayloadError,
    );
  });
});

// --- Agreement with the reference implementation on random inputs --------------------------------

// Deterministic PRNG so a failure is reproducible from the printed case index.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// ASCII, Latin-1, BMP (CJK) and astral (emoji) code points: 1-, 2-, 3- and 4-byte UTF-8.
const CODE_POINT_RANGES: Array<[number, number]> = [
  [0x20, 0x7e],
  [0x0a, 0x0a],
  [0xa0, 0xff],
  [0x4e00, 0x4fff],
  [0x1f600, 0x1f64f],
];

interface Case {
  secret: string;
  id: string;
  timestamp: number;
  body: string;
}

function randomCases(count: number, seed: number, nowSeconds: number): Case[] {
  const rand = mulberry32(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    // Key lengths 1..100 bytes: covers keys longer than the 64-byte block, which HMAC hashes first.
    const key = Buffer.from(Array.from({ length: 1 + int(100) }, () => int(256))).toString("base64");
    const secret = rand() < 0.8 ? `whsec_${key}` : key;
    const id = `msg_${Array.from({ length: 27 }, () => ALNUM[int(ALNUM.length)]).join("")}`;
    const timestamp = nowSeconds - 250 + int(500);
    // Lengths 0..400 cross every padding boundary (55/56/64 bytes) of SHA-256 many times over.
    const length = int(400);
    let body = "";
    for (let j = 0; j < length; j++) {
      const [lo, hi] = CODE_POINT_RANGES[rand() < 0.7 ? 0 : int(CODE_POINT_RANGES.length)]!;
      body += String.fromCodePoint(lo + int(hi - lo + 1));
    }
    cases.push({ secret, id, timestamp, body });
  }
  return cases;
}

describe("agreement with the standardwebhooks package", () => {
  const N = 10_000;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const cases = randomCases(N, 0x5eed, nowSeconds);

  it(`ours signs, theirs verifies (${N} random cases)`, () => {
    let agreed = 0;
    for (const [i, c] of cases.entries()) {
      const signature = signStandardWebhook(
        c.secret,
        c.id,
        c.timestamp,
        i % 2 ? c.body : new TextEncoder().encode(c.body),
      );
      const theirs = new StandardWebhook(c.secret);
      try {
        theirs.verify(c.body, headersFor(c.id, c.timestamp, signature), { jsonParse: false });
      } catch (error) {
        throw new Error(`case ${i}: standardwebhooks rejected our signature: ${String(error)}`);
      }
      expect(signature, `case ${i}`).toBe(theirs.sign(c.id, new Date(c.timestamp * 1000), c.body));
      agreed++;
    }
    expect(agreed).toBe(N);
  });

  it(`theirs signs, ours verifies (${N} random cases)`, () => {
    let agreed = 0;
    for (const [i, c] of cases.entries()) {
      const signature = new StandardWebhook(c.secret).sign(c.id, new Date(c.timestamp * 1000), c.body);
      const ours = new StandardWebhookVerifier({ secret: c.secret, now: () => c.timestamp * 1000 });
      const body = i % 2 ? c.body : new TextEncoder().encode(c.body);
      try {
        ours.verifySignature(body, headersFor(c.id, c.timestamp, signature));
      } catch (error) {
        throw new Error(`case ${i}: we rejected standardwebhooks' signature: ${String(error)}`);
      }
      agreed++;
    }
    expect(agreed).toBe(N);
  });

  it("one key signs and verifies many messages in a row, failures in between (its pad state is reused)", () => {
    // 32 bytes (the usual secret) and 100 bytes (longer than a block, hashed first).
    for (const secret of [randomSecret(32), randomSecret(100)]) {
      const theirs = new StandardWebhook(secret);
      const ours = new StandardWebhookVerifier({ secret, now: () => nowSeconds * 1000 });
      for (const [i, c] of cases.slice(0, 1000).entries()) {
        const signature = theirs.sign(c.id, new Date(c.timestamp * 1000), c.body);
        expect(signStandardWebhook(secret, c.id, c.timestamp, c.body), `case ${i}`).toBe(signature);
        expect(() => ours.verifySignature(`${c.body}x`, headersFor(c.id, c.timestamp, signature)), `case ${i}`).toThrow(
          InvalidSignatureError,
        );
        expect(ours.verifySignature(c.body, headersFor(c.id, c.timestamp, signature)), `case ${i}`).toEqual({
          webhookId: c.id,
          timestamp: c.timestamp,
        });
      }
    }
  });

  it("a tampered body, id, timestamp or signature fails for both", () => {
    for (const c of cases.slice(0, 200)) {
      const signature = signStandardWebhook(c.secret, c.id, c.timestamp, c.body);
      const ours = new StandardWebhookVerifier({ secret: c.secret });
      const theirs = new StandardWebhook(c.secret);
      const flipped = signature.slice(0, 10) + (signature[10] === "A" ? "B" : "A") + signature.slice(11);
      const tampered: Array<[string, Record<string, string>]> = [
        [`${c.body}x`, headersFor(c.id, c.timestamp, signature)],
        [c.body, headersFor(`${c.id}x`, c.timestamp, signature)],
        [c.body, headersFor(c.id, c.timestamp + 1, signature)],
        [c.body, headersFor(c.id, c.timestamp, flipped)],
      ];
      for (const [body, headers] of tampered) {
        expect(() => ours.verifySignature(body, headers)).toThrow(InvalidSignatureError);
        expect(() => theirs.verify(body, headers as never, { jsonParse: false })).toThrow();
      }
      // ...while the untampered original passes both, so the rejections above are about the change.
      expect(ours.verifySignature(c.body, headersFor(c.id, c.timestamp, signature)).webhookId).toBe(c.id);
      theirs.verify(c.body, headersFor(c.id, c.timestamp, signature), { jsonParse: false });
    }
  });

  it("svix's Webhook verifies our signatures (svix-* and webhook-* headers)", () => {
    for (const c of cases.slice(0, 20)) {
      const body = JSON.stringify({
        type: "render.succeeded",
        version: "v1",
        timestamp: "2026-01-01T00:00:00Z",
        data: { id: c.id, note: c.body },
      });
      const signature = signStandardWebhook(c.secret, c.id, c.timestamp, body);
      const svix = new SvixWebhook(c.secret);
      expect(
        svix.verify(body, { "svix-id": c.id, "svix-timestamp": String(c.timestamp), "svix-signature": signature }),
      ).toEqual(JSON.parse(body));
      expect(svix.verify(body, headersFor(c.id, c.timestamp, signature))).toEqual(JSON.parse(body));
      expect(() => svix.verify(`${body} `, headersFor(c.id, c.timestamp, signature))).toThrow();
    }
  });
});
