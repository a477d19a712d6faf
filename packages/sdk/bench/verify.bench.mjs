// HMAC verification throughput: @tidings/sdk (built dist) beside the `standardwebhooks` package, on the
// same payloads in interleaved rounds so that machine noise hits both alike.
//
//   npx tsc -b packages/sdk && node packages/sdk/bench/verify.bench.mjs [--rounds 7] [--ms 400]
//
// Both sides do the full job a receiver does: check headers and timestamp, HMAC, compare, JSON.parse.
// A third line shows WebCrypto (`crypto.subtle.sign`, cached CryptoKey), for the record of why the SDK
// does not use it for HMAC on Node.
import { Webhook } from "standardwebhooks";
import { StandardWebhookVerifier, verifyWebhook } from "../dist/verify/index.js";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROUNDS = arg("rounds", 7);
const ROUND_MS = arg("ms", 400);

function randomSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

// Realistic Tidings events (docs/wire.md: the event): thin payloads of 150-400 bytes.
const secret = randomSecret();
const signer = new Webhook(secret);
const now = Math.floor(Date.now() / 1000);
const cases = Array.from({ length: 64 }, (_, i) => {
  const body = JSON.stringify({
    type: i % 2 ? "batch.succeeded" : "interaction.requires_action",
    version: "v1",
    timestamp: new Date().toISOString(),
    data:
      i % 2
        ? { id: `batches/${i.toString(36).padStart(12, "x")}`, output_file_uri: `files/${i}abcdef` }
        : {
            id: `interactions/${i}`,
            required_actions: [{ id: `call_${i}`, name: "get_weather" }],
            user_metadata: { order: i, tenant: "acme-corp", note: "x".repeat(i * 3) },
          },
  });
  const id = `msg_${i.toString(36).padStart(27, "0")}`;
  const headers = {
    "webhook-id": id,
    "webhook-timestamp": String(now),
    "webhook-signature": signer.sign(id, new Date(now * 1000), body),
  };
  return { body, headers };
});

const ours = new StandardWebhookVerifier({ secret });
const options = { secret };
const contenders = {
  "@tidings/sdk verifyWebhook": async (c) => {
    await verifyWebhook(c.body, c.headers, options);
  },
  "@tidings/sdk StandardWebhookVerifier.verify (sync)": (c) => {
    ours.verify(c.body, c.headers);
  },
  "standardwebhooks Webhook.verify": (c) => {
    signer.verify(c.body, c.headers);
  },
};

// Sanity: every contender accepts every case, and rejects a tampered one, before anything is timed.
for (const c of cases) {
  for (const [name, fn] of Object.entries(contenders)) {
    try {
      await fn(c);
    } catch (e) {
      throw new Error(`${name} rejected a valid case: ${e}`);
    }
  }
}
const tampered = { ...cases[0], body: cases[0].body.replace("v1", "v2") };
await verifyWebhook(tampered.body, tampered.headers, options).then(
  () => {
    throw new Error("sdk accepted a tampered body");
  },
  () => {},
);

async function run(fn, ms) {
  let n = 0;
  const start = performance.now();
  const deadline = start + ms;
  // Check the clock every 64 calls so timing overhead stays out of the measurement.
  while (performance.now() < deadline) {
    for (let i = 0; i < 64; i++) {
      const r = fn(cases[i]);
      if (r !== undefined) await r;
    }
    n += 64;
  }
  return n / ((performance.now() - start) / 1000);
}

// Warm up (JIT) before measuring.
for (const fn of Object.values(contenders)) await run(fn, 300);

const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  // Rotate the order each round so no contender always runs first (or last) in a round.
  const names = Object.keys(contenders);
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + r) % names.length];
    results[name].push(await run(contenders[name], ROUND_MS));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const baseline = median(results["standardwebhooks Webhook.verify"]);
console.log(
  `node ${process.version}, ${ROUNDS} interleaved rounds × ${ROUND_MS} ms, 64 payloads of ${(cases.reduce((a, c) => a + c.body.length, 0) / 64) | 0} bytes on average`,
);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(
    `${name.padEnd(52)} ${Math.round(m).toLocaleString("en-US").padStart(10)} verifications/s  (${(m / baseline).toFixed(2)}× standardwebhooks)`,
  );
}

// For the record: WebCrypto HMAC with a cached CryptoKey, sequential, on the same messages.
const rawKey = Uint8Array.from(atob(secret.slice(6)), (ch) => ch.charCodeAt(0));
const cryptoKey = await crypto.subtle.importKey("raw", rawKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
const encoder = new TextEncoder();
const subtleRate = await run(async (c) => {
  const msg = encoder.encode(`${c.headers["webhook-id"]}.${c.headers["webhook-timestamp"]}.${c.body}`);
  await crypto.subtle.sign("HMAC", cryptoKey, msg);
}, ROUND_MS * 2);
console.log(
  `${"(reference) crypto.subtle.sign HMAC only".padEnd(52)} ${Math.round(subtleRate).toLocaleString("en-US").padStart(10)} signatures/s     (${(subtleRate / baseline).toFixed(2)}× standardwebhooks)`,
);
console.log(
  `ratio verifyWebhook / standardwebhooks = ${(median(results["@tidings/sdk verifyWebhook"]) / baseline).toFixed(2)}`,
);
