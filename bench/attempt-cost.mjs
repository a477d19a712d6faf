// What building one attempt costs the delivery loop's thread: its headers, what signs it (`AttemptSigning`) and
// the hand-off of the request to the sending thread (a MessagePort posts it as the ThreadedSender does), for a
// static webhook (HMAC) and a dynamic target (an EdDSA JWT, and `v1a`). Then what the sending thread spends making
// each signature (`attemptSignature`). Nothing is sent: the build's modules are called in this process, one
// attempt after another, and timed with process.cpuUsage(). See bench/README.md.
//   npm run build && node bench/attempt-cost.mjs      (BENCH_ATTEMPTS=10000 per round, 5 rounds; ~5 s)
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { MessageChannel } from "node:worker_threads";
import { CLI } from "./harness.mjs";
import { intEnv } from "./lib.mjs";

const ATTEMPTS = Math.round(intEnv("BENCH_ATTEMPTS", 10_000));
const ROUNDS = 5;
const built = (path) => import(pathToFileURL(join(dirname(CLI), "..", path)).href);

const { SecretBox } = await built("crypto/secret-box.js");
const { StaticSigner } = await built("signing/static-signer.js");
const { DynamicSigner } = await built("signing/dynamic-signer.js");
const { JwtSignerPool } = await built("signing/jwt/pool.js");
const { attemptSignature } = await built("signing/attempt-signing.js");
const { deliveryAttempts } = await built("delivery/attempts.js");

const box = new SecretBox(randomBytes(32));
const ring = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
const pool = new JwtSignerPool([{ kid: "k1", activatesAt: 0, privateJwk: { ...ring, alg: "EdDSA", kid: "k1" } }], 1);
const signers = (scheme) => ({
  staticSigner: new StaticSigner(box),
  dynamicSigner: new DynamicSigner(pool, scheme, "http://127.0.0.1:8080"),
});
const body = JSON.stringify({
  type: "bench.succeeded",
  data: { name: "operations/op_1", state: "SUCCEEDED", output_file_uri: "files/x" },
  timestamp: "2026-12-06T10:00:00.000Z",
});
const secrets = [{ secret: `whsec_${randomBytes(32).toString("base64")}`, createdAt: 0 }];
const staticDelivery = {
  id: 1,
  eventId: "msg_0000000000100000000000000001",
  webhookId: "wh_1",
  sealedSecrets: box.seal(JSON.stringify(secrets)),
  uri: "http://127.0.0.1:9/hook",
  body,
};
const dynamicDelivery = { ...staticDelivery, webhookId: undefined, sealedSecrets: undefined };

const { port1, port2 } = new MessageChannel();
port2.on("message", () => {});
port2.unref();

/** Median CPU µs per call of `once` over the rounds, after a warm-up round. */
async function perCall(once) {
  const round = async () => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < ATTEMPTS; i++) await once(i);
    const { user, system } = process.cpuUsage(t0);
    return (user + system) / ATTEMPTS;
  };
  await round();
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await round());
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

const cases = [
  ["static webhook (HMAC)", signers("jwt"), staticDelivery],
  ["dynamic target, EdDSA JWT", signers("jwt"), dynamicDelivery],
  ["dynamic target, v1a", signers("v1a"), dynamicDelivery],
];
console.log(`\nOne attempt, ${ATTEMPTS} per round, median of ${ROUNDS} rounds (µs of CPU)`);
console.log("  attempt                              delivery loop's thread   sending thread's signature");
for (const [label, deps, delivery] of cases) {
  const build = deliveryAttempts(deps);
  const loop = await perCall(async (i) => {
    const { headers, signing } = await build(delivery, Date.now());
    port1.postMessage({ kind: "send", requests: [{ id: i, request: { uri: delivery.uri, headers, body, signing } }] });
  });
  const { headers, signing } = await build(delivery, Date.now());
  const signed = await perCall(async () =>
    attemptSignature(signing, headers["webhook-id"], Number(headers["webhook-timestamp"]), body),
  );
  console.log(
    `  ${label.padEnd(36)} ${loop.toFixed(1).padStart(8)} µs                ${signed.toFixed(1).padStart(8)} µs`,
  );
}
await pool.close();
port1.close();
