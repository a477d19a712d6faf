// Dynamic vs static webhook throughput, in the same run. See bench/README.md.
//
//   npm run build && node bench/dynamic.mjs
//   BENCH_DYNAMIC_EVENTS=3000 BENCH_DYNAMIC_ROUNDS=2 node bench/dynamic.mjs
//
// One server, one receiver. Static: custom operations without webhook_config, delivered to a registered webhook
// (HMAC, Standard Webhooks). Dynamic: custom operations created with webhook_config {uris: [receiver], user_metadata},
// delivered to that URI alone with an RS256 JWT in webhook-signature (signed off the main thread by the server's
// JwtSignerPool). Each phase completes N pre-created operations (32 API calls in flight) and waits until the
// receiver has all N; phases alternate static, dynamic, static, dynamic so that drift and noise hit both alike.
// Then the same on a server of its own for each of BENCH_DYNAMIC_ALGS (default EdDSA, with TIDINGS_JWT_ALG set;
// skipped, and reported n/a, when that server's JWKS does not serve it), and the CPU of one JWT signature per
// algorithm measured in this process as the server signs it: the yardstick for dynamic − static CPU per event.
import { generateKeyPairSync } from "node:crypto";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { intEnv, now, sleep } from "./lib.mjs";
import {
  CLI,
  ApiClient,
  completeAll,
  completeAllRates,
  createOperations,
  fmt,
  logger,
  NOISY_CORES,
  otherCores,
  othersLabel,
  row,
  runMain,
  runMeta,
  saveResults,
  serverThreadsLabel,
  startProcesses,
  stopReceiver,
  stopServer,
  warnDisturbed,
  withServerOutput,
} from "./harness.mjs";

const N = Math.round(intEnv("BENCH_DYNAMIC_EVENTS", 3000));
const ROUNDS = Math.round(intEnv("BENCH_DYNAMIC_ROUNDS", 2));
const WARMUP = Math.round(intEnv("BENCH_DYNAMIC_WARMUP", 1000));
const API_CONCURRENCY = Math.round(intEnv("BENCH_API_CONCURRENCY", 32));
const VERIFY_EVERY = Math.round(intEnv("BENCH_VERIFY_EVERY", 100));
const USER_METADATA = { n: 1 };
const DEFAULT_ALG = "RS256";
/**
 * JWT algorithms measured beside the default, each on a server of its own with TIDINGS_JWT_ALG set (when it serves it).
 */
const OTHER_ALGS = (process.env.BENCH_DYNAMIC_ALGS ?? "EdDSA")
  .split(",")
  .map((a) => a.trim())
  .filter((a) => a !== "" && a !== DEFAULT_ALG);
const SIGNATURES = Math.round(intEnv("BENCH_DYNAMIC_SIGNATURES", 500));

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const createOperationsOfKind = (api, count, kind, hookUri) =>
  createOperations(
    api,
    count,
    API_CONCURRENCY,
    kind === "dynamic"
      ? { type: "bench", webhook_config: { uris: [hookUri], user_metadata: USER_METADATA } }
      : { type: "bench" },
  );

/** Completes `ids` through the API and waits until the receiver has a delivery for each. */
async function phase(label, kind, server, receiver, api, ids) {
  const count = ids.length;
  const { reached, cpu, ...times } = await completeAll(server, receiver, api, ids, {
    phase: label,
    concurrency: API_CONCURRENCY,
    verifyEvery: VERIFY_EVERY,
  });
  const stats = await receiver.child.call("stats"); // after the JWT verifications in flight
  const problems = [];
  if (reached === undefined) problems.push(`timed out: ${stats.unique} of ${count} received`);
  if (stats.duplicates > 0) problems.push(`${stats.duplicates} duplicates`);
  const wrongKind = kind === "dynamic" ? stats.hmacRequests : stats.jwtRequests;
  if (wrongKind > 0)
    problems.push(`${wrongKind} deliveries signed the ${kind === "dynamic" ? "static (HMAC)" : "dynamic (JWT)"} way`);
  if (stats.verifyFailureCount > 0)
    problems.push(`${stats.verifyFailureCount} signatures failed verification: ${stats.verifyFailures.join("; ")}`);
  if (stats.verified === 0) problems.push("no signature verified");
  if (
    kind === "dynamic" &&
    stats.jwtSample !== undefined &&
    JSON.stringify(stats.jwtSample.data?.user_metadata) !== JSON.stringify(USER_METADATA)
  ) {
    problems.push(
      `data.user_metadata is ${JSON.stringify(stats.jwtSample.data?.user_metadata)}, expected ${JSON.stringify(USER_METADATA)}`,
    );
  }
  return {
    label,
    kind,
    events: count,
    ...completeAllRates(count, times), // seconds, deliveriesPerSecond, completesPerSecond, lastReceiptAfterLastCompleteMs
    serverCpuPerEventUs:
      cpu.serverCpuSeconds !== undefined ? Math.round((cpu.serverCpuSeconds / count) * 1e6) : undefined,
    received: stats.requests,
    unique: stats.unique,
    duplicates: stats.duplicates,
    hmacRequests: stats.hmacRequests,
    jwtRequests: stats.jwtRequests,
    verified: stats.verified,
    verifyFailures: stats.verifyFailureCount,
    jwtSample: stats.jwtSample,
    problems,
    cpu,
  };
}

function printReport(r) {
  const lines = [];
  const add = (label, value, note) => row(lines, label, value, note);
  lines.push("");
  lines.push(
    `Tidings dynamic vs static deliveries — ${r.meta.git}, node ${r.meta.node}, ${r.meta.cpus} CPUs, load ${r.meta.loadAvgAtStart.map((x) => x.toFixed(2)).join(" ")} at start`,
  );
  lines.push(
    ` ${fmt(r.config.events)} operations per phase, completed ${r.config.apiConcurrency} in flight → all received (deliveries/s = events / first complete sent → last receipt)`,
  );
  lines.push(`  ${"phase".padEnd(46)} ${"deliveries/s".padStart(24)}   completes/s · server CPU/event · noise`);
  for (const p of r.phases) {
    add(
      `${p.label} (${p.seconds ?? "n/a"} s)`,
      `${fmt(p.deliveriesPerSecond)} /s`,
      `${fmt(p.completesPerSecond)}/s · ${fmt(p.serverCpuPerEventUs)} µs · ${othersLabel(p.cpu)}`,
    );
  }
  lines.push(" server threads, cores busy during each phase (JWT signing runs off the main thread)");
  for (const p of r.phases) add(`${p.label}`, "", serverThreadsLabel(p.cpu));
  lines.push(" median of the rounds");
  add(
    "static (registered webhook, HMAC)",
    `${fmt(r.median.static.deliveriesPerSecond)} /s`,
    `server CPU/event ${fmt(r.median.static.serverCpuPerEventUs)} µs`,
  );
  add(
    "dynamic (webhook_config, RS256 JWT)",
    `${fmt(r.median.dynamic.deliveriesPerSecond)} /s`,
    `server CPU/event ${fmt(r.median.dynamic.serverCpuPerEventUs)} µs`,
  );
  add(
    "ratio dynamic / static",
    `${fmt(r.ratio, 2)} ×`,
    r.ratioRange ? `rounds: ${r.ratioRange.map((x) => fmt(x, 2)).join(", ")}` : "",
  );
  lines.push(" checks");
  const sig = r.signatures;
  add(
    `signatures verified (sample 1 in ${r.config.verifyEvery})`,
    `HMAC ${sig.hmac} ok, JWT ${sig.jwt} ok, ${sig.failures} bad`,
  );
  if (r.jwtSample)
    add(
      "sample JWT",
      `aud ${r.jwtSample.claims.aud}`,
      `iss ${r.jwtSample.claims.iss}, alg ${r.alg}, body's user_metadata ${JSON.stringify(r.jwtSample.data?.user_metadata)}`,
    );
  if (r.serverWarnings > 0) add("server log lines at warn or above", r.serverWarnings);
  lines.push(
    " JWT signature cost in the bench process, signed as the server signs (one after another; CPU includes the libuv threads)",
  );
  for (const c of Object.values(r.signatureCostUs))
    add(
      `${c.alg}${c.jose ? " (node:crypto)" : " (jose)"}`,
      `${fmt(c.cpuUs, 1)} µs CPU`,
      `${fmt(c.wallUs, 1)} µs wall per signature${c.jose ? `; with jose ${fmt(c.jose.cpuUs, 1)} µs CPU, ${fmt(c.jose.wallUs, 1)} µs wall` : ""}`,
    );
  add(
    "dynamic − static server CPU per event",
    `${fmt(r.dynamicMinusStaticCpuPerEventUs)} µs`,
    `${fmt(r.dynamicOverheadInSignatures, 2)} × one ${r.alg} signature (target ≤ 1.2)`,
  );
  for (const o of Object.values(r.others)) {
    if (!o.supported) {
      add(`${o.alg}: TIDINGS_JWT_ALG=${o.alg}`, "n/a", `the server's JWKS serves ${o.served.join(", ") || "no keys"}`);
      continue;
    }
    lines.push(` TIDINGS_JWT_ALG=${o.alg} (a server of its own)`);
    for (const p of o.phases)
      add(
        `${p.label} (${p.seconds ?? "n/a"} s)`,
        `${fmt(p.deliveriesPerSecond)} /s`,
        `${fmt(p.completesPerSecond)}/s · ${fmt(p.serverCpuPerEventUs)} µs · ${othersLabel(p.cpu)}`,
      );
    add(
      `ratio dynamic (${o.alg}) / static`,
      `${fmt(o.ratio, 2)} ×`,
      o.ratioRange ? `rounds: ${o.ratioRange.map((x) => fmt(x, 2)).join(", ")}` : "",
    );
    add(
      `  signatures verified`,
      `HMAC ${o.signatures.hmac} ok, JWT ${o.signatures.jwt} ok, ${o.signatures.failures} bad`,
    );
    for (const p of o.phases) for (const problem of p.problems) lines.push(`  ! ${p.label}: ${problem}`);
    warnDisturbed(lines, o.disturbedPhases);
  }
  for (const p of r.phases) for (const problem of p.problems) lines.push(`  ! ${p.label}: ${problem}`);
  warnDisturbed(lines, r.disturbedPhases);
  lines.push("");
  console.log(lines.join("\n"));
}

/** The JWKS's algorithms; `alg` is served when a key names it (or has its curve). */
async function jwksAlgorithms(api) {
  const { keys = [] } = await api.call("GET", "/.well-known/jwks.json");
  return keys.map((k) => k.alg ?? (k.crv === "Ed25519" ? "EdDSA" : k.crv === "P-256" ? "ES256" : k.kty));
}

/**
 * One server (with TIDINGS_JWT_ALG=`alg` unless it is the default) and one receiver: warm-up, then static and
 * dynamic phases alternating. For a non-default `alg`, first checks that the server serves it (its JWKS), else
 * returns `{ supported: false }` without measuring.
 */
async function measureServer(log, alg) {
  const env = alg === DEFAULT_ALG ? {} : { TIDINGS_JWT_ALG: alg };
  const { receiver, server } = await startProcesses(log, `tidings-bench-dynamic-${alg.toLowerCase()}-`, env);
  const api = new ApiClient(server.url, API_CONCURRENCY);
  try {
    return await withServerOutput(server, async () => {
      const served = await jwksAlgorithms(api);
      if (!served.includes(alg)) {
        log(`${alg}: the server's JWKS has ${served.join(", ") || "no keys"}, not ${alg}: not measured`);
        return { alg, supported: false, served };
      }
      const hookUri = `${receiver.url}/hook`;
      const webhook = await api.call("POST", "/v1/webhooks", { uri: hookUri, subscribed_events: ["*"] });
      await receiver.child.call("reset", {
        phase: "setup",
        secret: webhook.new_signing_secret,
        jwks: `${server.url}/.well-known/jwks.json`,
        audience: hookUri,
        verifyEvery: VERIFY_EVERY,
      });

      // Warm-up (not reported): JIT for both paths, the JWT workers' key import, the receiver's JWKS fetch.
      log(`${alg} warm-up: ${WARMUP} static + ${WARMUP} dynamic`);
      for (const kind of ["static", "dynamic"])
        await phase(
          `warm-up ${kind}`,
          kind,
          server,
          receiver,
          api,
          await createOperationsOfKind(api, WARMUP, kind, hookUri),
        );

      const phases = [];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const kind of ["static", "dynamic"]) {
          const ids = await createOperationsOfKind(api, N, kind, hookUri); // not timed
          await sleep(300); // let the server record the previous phase's attempts
          const result = await phase(`${alg} ${kind} ${round}`, kind, server, receiver, api, ids);
          log(
            `${result.label}: ${result.deliveriesPerSecond} deliveries/s${result.problems.length ? ` (${result.problems.join("; ")})` : ""}`,
          );
          phases.push(result);
        }
      }
      const of = (kind, key) => median(phases.filter((p) => p.kind === kind).map((p) => p[key]));
      const med = (kind) => ({
        deliveriesPerSecond: of(kind, "deliveriesPerSecond"),
        completesPerSecond: of(kind, "completesPerSecond"),
        serverCpuPerEventUs: of(kind, "serverCpuPerEventUs"),
      });
      const median_ = { static: med("static"), dynamic: med("dynamic") };
      const ratio =
        median_.dynamic.deliveriesPerSecond !== undefined && median_.static.deliveriesPerSecond
          ? median_.dynamic.deliveriesPerSecond / median_.static.deliveriesPerSecond
          : undefined;
      const perRound = [];
      for (let i = 0; i + 1 < phases.length; i += 2) {
        if (phases[i].deliveriesPerSecond && phases[i + 1].deliveriesPerSecond)
          perRound.push(phases[i + 1].deliveriesPerSecond / phases[i].deliveriesPerSecond);
      }
      const cpuDiff =
        median_.dynamic.serverCpuPerEventUs !== undefined && median_.static.serverCpuPerEventUs !== undefined
          ? median_.dynamic.serverCpuPerEventUs - median_.static.serverCpuPerEventUs
          : undefined;
      return {
        alg,
        supported: true,
        served,
        phases,
        median: median_,
        ratio: ratio !== undefined ? Math.round(ratio * 1000) / 1000 : undefined,
        ratioRange: perRound.length > 1 ? perRound.map((x) => Math.round(x * 1000) / 1000) : undefined,
        dynamicMinusStaticCpuPerEventUs: cpuDiff,
        signatures: {
          hmac: phases.filter((p) => p.kind === "static").reduce((a, p) => a + p.verified, 0),
          jwt: phases.filter((p) => p.kind === "dynamic").reduce((a, p) => a + p.verified, 0),
          failures: phases.reduce((a, p) => a + p.verifyFailures, 0),
        },
        jwtSample: phases.find((p) => p.jwtSample)?.jwtSample,
        disturbedPhases: phases.filter((p) => otherCores(p.cpu) > NOISY_CORES).map((p) => p.label),
        serverWarnings: server.logLines.length,
        serverWarningSamples: server.logLines.slice(0, 5),
      };
    });
  } finally {
    await api.close();
    await stopServer(server);
    await stopReceiver(receiver);
  }
}

/**
 * CPU per JWT signature in this process, `count` signatures one after another after a warm-up: with jose, as the
 * server's signing threads sign RS256 and ES256; for EdDSA also as the server signs it where it sends, on the
 * sending thread when there is one (node:crypto, the build's `signEdDsaJwt`). process.cpuUsage() covers the libuv threads where WebCrypto signs.
 */
async function signatureCost(alg, count) {
  const { generateKeyPair, SignJWT } = await import("jose");
  const { privateKey } = await generateKeyPair(alg);
  // The server's claims (delivery/jwt/claims.ts): the event stays in the body, the token binds it by hash.
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: "http://127.0.0.1:8080",
    aud: "http://127.0.0.1:9/hook",
    iat,
    exp: iat + 300,
    jti: `msg_${"x".repeat(27)}`,
    body_sha256: "x".repeat(43),
    type: "bench.succeeded",
  };
  const viaJose = await timeSignatures(count, () =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", kid: "bench" }).sign(privateKey),
  );
  if (alg !== "EdDSA") return { alg, signatures: count, ...viaJose };
  const { signEdDsaJwt } = await import(pathToFileURL(join(dirname(CLI), "../signing/ed25519.js")).href);
  const key = generateKeyPairSync("ed25519").privateKey;
  const viaServer = await timeSignatures(count, async () => signEdDsaJwt(key, "bench", claims));
  return { alg, signatures: count, ...viaServer, jose: viaJose };
}

async function timeSignatures(count, sign) {
  for (let i = 0; i < Math.min(50, count); i++) await sign();
  const cpu0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < count; i++) await sign();
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuUs: Math.round(((cpu.user + cpu.system) / count) * 10) / 10,
    wallUs: Math.round((((now() - t0) * 1000) / count) * 10) / 10,
  };
}

async function main() {
  const t0 = now();
  const log = logger("dynamic", t0);
  const meta = runMeta();
  const config = {
    events: N,
    rounds: ROUNDS,
    warmup: WARMUP,
    apiConcurrency: API_CONCURRENCY,
    verifyEvery: VERIFY_EVERY,
    algorithms: [DEFAULT_ALG, ...OTHER_ALGS],
    signatures: SIGNATURES,
  };

  const byAlg = {};
  for (const alg of [DEFAULT_ALG, ...OTHER_ALGS]) byAlg[alg] = await measureServer(log, alg);
  log(`signature cost in this process: ${SIGNATURES} each of ${[DEFAULT_ALG, ...OTHER_ALGS].join(", ")}`);
  const signatureCostUs = {};
  for (const alg of [DEFAULT_ALG, ...OTHER_ALGS]) signatureCostUs[alg] = await signatureCost(alg, SIGNATURES);

  const main_ = byAlg[DEFAULT_ALG];
  const rs256 = signatureCostUs[DEFAULT_ALG].cpuUs;
  const results = {
    meta,
    config,
    ...main_,
    signatureCostUs,
    // Row "dynamic CPU per event − static CPU per event ≤ 1.2 × one RS256 signature measured in the same run".
    dynamicOverheadInSignatures:
      main_.dynamicMinusStaticCpuPerEventUs !== undefined
        ? Math.round((main_.dynamicMinusStaticCpuPerEventUs / rs256) * 100) / 100
        : undefined,
    others: Object.fromEntries(OTHER_ALGS.map((alg) => [alg, byAlg[alg]])),
    totalSeconds: 0,
  };
  saveResults("dynamic.json", results, t0, printReport);
  const measured = Object.values(byAlg).filter((r) => r.supported);
  if (measured.some((r) => r.phases.some((p) => p.problems.length > 0))) process.exitCode = 1;
}

runMain(main);
