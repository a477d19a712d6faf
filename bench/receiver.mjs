// The webhook receiver for the benchmark. Run as a child process (fork, with IPC) so that it has its own
// event loop and CPU, like a real endpoint. It answers every POST 200 with an empty body, counts requests,
// deduplicates by webhook-id, verifies a sample with the `standardwebhooks` package, and (in "record" mode)
// keeps the receipt time of each event keyed by `data.id` (the first, and the latest of any sent again).
//
// Dynamic webhooks (RS256 JWT in `webhook-signature`): when a `reset` carries `jwks` (the server's
// /.well-known/jwks.json URL) and `audience` (the target URI), sampled JWT-signed requests are verified with
// `jose` (loaded only then) — signature, audience, `jti` = webhook-id and `body_sha256` = the body's hash.
// Every request is counted as `hmac` or `jwt` by the shape of its signature header.
//
// Times are `performance.timeOrigin + performance.now()` (epoch ms, sub-ms resolution) so that they compare
// with the parent's clock; the parent checks the offset with an IPC ping-pong (`clock` message).
//
// Many endpoints on one host: a delivery is identified by path + webhook-id (one event fanned out to several
// paths carries one webhook-id), and each path's requests are counted. A `reset` may name `blackHoles`: paths
// whose requests are accepted and never answered (counted apart, never as receipts), and `holdMs`: how long
// every other answer waits, so that requests in flight overlap and the receiver sees the sender's concurrency
// (the most in flight at once per path, `maxInFlight`). Started with `--closed`, it listens only when told
// (`listen` with a port): an endpoint that is down, then back.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { now, perfMinusWallSample } from "./lib.mjs";

let phase = "idle";
let webhook; // standardwebhooks verifier for the current secret
let jwt; // { jwks: jose remote key set (a promise until jose loads), audience } for dynamic deliveries
let generation = 0; // bumped on reset, so a JWT verification that finishes late does not count in the next phase
const verifying = new Set(); // JWT verifications in flight (stats waits for them)
let hmacRequests = 0;
let jwtRequests = 0;
let jwtSample; // the first verified JWT delivery of this phase: { claims, data } (data: the body's, where user_metadata travels)
let verifyEvery = 100;
let record = false;
let expect = 0; // report "reached" once this many distinct webhook-ids have arrived
let requests = 0;
let seen = new Set();
let duplicates = 0;
let verified = 0;
let verifyFailures = [];
let firstAt = 0;
let lastAt = 0;
let receipts = new Map(); // data.id -> receipt time (record mode)
let repeats = new Map(); // data.id -> the latest receipt of one received before (record mode)
let reachedSent = false;
let blackHoles = new Set(); // paths never answered
let blackHoleRequests = 0;
let holdMs = 0;
let perPath = new Map(); // path -> { requests, inFlight, maxInFlight }
const unanswered = new Set(); // black-holed responses, ended at exit

function reset(msg) {
  phase = msg.phase ?? "idle";
  if (msg.secret !== undefined) webhook = new Webhook(msg.secret);
  if (msg.jwks !== undefined) {
    jwt = {
      audience: msg.audience,
      jwks: import("jose").then((jose) => ({ jose, keySet: jose.createRemoteJWKSet(new URL(msg.jwks)) })),
    };
    jwt.jwks.catch(() => undefined); // a failure surfaces in each verification instead
  }
  generation++;
  hmacRequests = 0;
  jwtRequests = 0;
  jwtSample = undefined;
  verifyEvery = msg.verifyEvery ?? verifyEvery;
  record = msg.record ?? false;
  expect = msg.expect ?? 0;
  requests = 0;
  seen = new Set();
  duplicates = 0;
  verified = 0;
  verifyFailures = [];
  firstAt = 0;
  lastAt = 0;
  receipts = new Map();
  repeats = new Map();
  reachedSent = false;
  blackHoles = new Set(msg.blackHoles ?? []);
  blackHoleRequests = 0;
  holdMs = msg.holdMs ?? 0;
  perPath = new Map();
}

function stats() {
  const maxInFlight = Math.max(0, ...[...perPath.values()].map((p) => p.maxInFlight));
  return {
    phase,
    requests,
    unique: seen.size,
    duplicates,
    verified,
    verifyFailures: verifyFailures.slice(0, 5),
    verifyFailureCount: verifyFailures.length,
    firstAt,
    lastAt,
    hmacRequests,
    jwtRequests,
    jwtSample,
    blackHoleRequests,
    maxInFlight,
    paths: perPath.size,
  };
}

/** Verifies one dynamic delivery's JWT (asynchronously: the key set is fetched once, then cached by jose). */
function verifyJwt(token, id, body) {
  const gen = generation;
  const { jwks, audience } = jwt;
  const job = jwks
    .then(({ jose, keySet }) => jose.jwtVerify(token, keySet, { audience, algorithms: ["RS256", "ES256", "EdDSA"] }))
    .then(({ payload }) => {
      if (payload.jti !== id) throw new Error(`jti ${payload.jti} is not the webhook-id`);
      const hash = createHash("sha256").update(body, "utf8").digest("base64url");
      if (payload.body_sha256 !== hash) throw new Error("body_sha256 does not match the body");
      if (gen !== generation) return;
      verified++;
      jwtSample ??= { claims: payload, data: JSON.parse(body).data };
    })
    .catch((err) => {
      if (gen === generation) verifyFailures.push(`${id}: ${err.message}`);
    })
    .finally(() => verifying.delete(job));
  verifying.add(job);
}

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (blackHoles.has(path)) {
    // Accept and never answer: the sender's timeout is the only way out.
    blackHoleRequests++;
    req.resume();
    unanswered.add(res);
    res.on("close", () => unanswered.delete(res));
    return;
  }
  let counts = perPath.get(path);
  if (counts === undefined) {
    counts = { requests: 0, inFlight: 0, maxInFlight: 0 };
    perPath.set(path, counts);
  }
  const gen = generation;
  counts.inFlight++;
  if (counts.inFlight > counts.maxInFlight) counts.maxInFlight = counts.inFlight;
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const at = now();
    requests++;
    counts.requests++;
    if (firstAt === 0) firstAt = at;
    lastAt = at;
    const id = req.headers["webhook-id"];
    const key = `${path} ${id}`;
    if (seen.has(key)) duplicates++;
    else seen.add(key);
    const body = chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8");
    const signature = req.headers["webhook-signature"] ?? "";
    const isJwt = !signature.startsWith("v1,") && signature.split(".").length === 3;
    if (isJwt) jwtRequests++;
    else hmacRequests++;
    if (isJwt && jwt !== undefined && verifyEvery > 0 && (requests - 1) % verifyEvery === 0) {
      verifyJwt(signature, id, body);
    } else if (webhook !== undefined && verifyEvery > 0 && (requests - 1) % verifyEvery === 0) {
      try {
        webhook.verify(body, req.headers);
        verified++;
      } catch (err) {
        verifyFailures.push(`${id}: ${err.message}`);
      }
    }
    if (record) {
      try {
        const dataId = JSON.parse(body)?.data?.id;
        if (dataId !== undefined && !receipts.has(dataId)) receipts.set(dataId, at);
        else if (dataId !== undefined) repeats.set(dataId, at);
      } catch {
        /* not JSON: counted, not recorded */
      }
    }
    const answer = () => {
      if (gen === generation) counts.inFlight--;
      res.writeHead(200, { "content-length": "0" });
      res.end();
    };
    if (holdMs > 0) setTimeout(answer, holdMs);
    else answer();
    if (!reachedSent && expect > 0 && seen.size >= expect) {
      reachedSent = true;
      process.send?.({ type: "reached", at: lastAt, ...stats() });
    }
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

process.on("message", (msg) => {
  switch (msg.type) {
    case "reset":
      reset(msg);
      process.send({ type: "reset-ok", seq: msg.seq });
      break;
    case "stats":
      // Counts include the JWT verifications still in flight.
      Promise.allSettled([...verifying]).then(() => process.send({ type: "stats", seq: msg.seq, ...stats() }));
      break;
    case "receipts":
      process.send({ type: "receipts", seq: msg.seq, receipts: [...receipts] });
      break;
    case "repeats":
      process.send({ type: "repeats", seq: msg.seq, repeats: [...repeats] });
      break;
    case "clock":
      process.send({ type: "clock", seq: msg.seq, at: now() });
      break;
    case "wallclock":
      // This clock minus Date.now() (the server's clock for RFC 3339 times), measured at a millisecond edge.
      process.send({ type: "wallclock", seq: msg.seq, perfMinusWallMs: perfMinusWallSample() });
      break;
    case "cpu":
      process.send({ type: "cpu", seq: msg.seq, ...process.cpuUsage() });
      break;
    case "listen":
      server.once("error", (err) => process.send({ type: "listen", seq: msg.seq, error: err.message }));
      server.listen(msg.port, "127.0.0.1", () =>
        process.send({ type: "listen", seq: msg.seq, port: server.address().port, at: now() }),
      );
      break;
    case "exit":
      for (const res of unanswered) res.destroy();
      server.close();
      server.closeAllConnections?.();
      process.exit(0);
  }
});
// The parent went away (crashed, killed): do not linger.
process.on("disconnect", () => process.exit(0));

if (process.argv.includes("--closed")) process.send({ type: "ready" });
else server.listen(0, "127.0.0.1", () => process.send({ type: "listening", port: server.address().port }));
