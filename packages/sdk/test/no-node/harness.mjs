// Runs in a child process: node --import ./register.mjs harness.mjs <scenario JSON>
// Removes Node-only globals, imports the module(s) under test (built-in imports are refused by
// loader.mjs), runs the scenario, and prints one JSON line.
const out = globalThis.process.stdout;
const scenario = JSON.parse(globalThis.process.argv[2]);

// Node creates fetch's globals lazily, and that set-up itself needs Node's globals: touch them first.
void [globalThis.Headers, globalThis.Request, globalThis.Response, globalThis.fetch];
// Edge runtimes have none of these; code that reaches for them must fail here too. (`global` stays:
// Node's own internals still read it.)
for (const name of ["process", "Buffer", "setImmediate", "clearImmediate"]) delete globalThis[name];

async function verifyScenario(mod) {
  const results = {};
  if (scenario.hmac) {
    const v = scenario.hmac;
    const headers = {
      "webhook-id": v.msg_id,
      "webhook-timestamp": String(v.timestamp),
      "webhook-signature": v.signature,
    };
    results.signed = mod.signStandardWebhook(v.secret, v.msg_id, v.timestamp, v.payload);
    results.verified = new mod.StandardWebhookVerifier({
      secret: v.secret,
      now: () => v.timestamp * 1000,
    }).verifySignature(v.payload, headers);
  }
  if (scenario.event) {
    const e = scenario.event;
    const signature = mod.signStandardWebhook(e.secret, e.id, e.timestamp, e.body);
    const headers = new Headers({
      "webhook-id": e.id,
      "webhook-timestamp": String(e.timestamp),
      "webhook-signature": signature,
    });
    results.event = await mod.verifyWebhook(new TextEncoder().encode(e.body), headers, {
      secret: e.secret,
      now: () => e.timestamp * 1000,
    });
  }
  if (scenario.jwt) {
    const j = scenario.jwt;
    results.jwtEvent = await mod.verifyWebhook(j.body, j.headers, { jwks: j.jwks, audience: j.audience });
    results.jwtTampered = await mod.verifyWebhook(`${j.body} `, j.headers, { jwks: j.jwks, audience: j.audience }).then(
      () => "accepted",
      (error) => error.code,
    );
  }
  if (scenario.v1a) {
    // Ed25519 through WebCrypto: a static v1a webhook by its public key, and a dynamic v1a delivery by the JWKS.
    const { stat, dyn } = scenario.v1a;
    const headers = (c) => ({
      "webhook-id": c.msg_id,
      "webhook-timestamp": String(c.timestamp),
      "webhook-signature": c.signature,
    });
    results.v1aStatic = await mod.verifyWebhook(stat.payload, headers(stat), {
      publicKey: stat.public_keys,
      now: () => scenario.v1a.at * 1000,
    });
    results.v1aDynamic = await mod.verifyWebhook(dyn.payload, headers(dyn), {
      jwks: scenario.v1a.jwks,
      audience: "https://x",
      now: () => scenario.v1a.at * 1000,
    });
    results.v1aTampered = await mod
      .verifyWebhook(`${stat.payload} `, headers(stat), {
        publicKey: stat.public_keys,
        now: () => scenario.v1a.at * 1000,
      })
      .then(
        () => "accepted",
        (error) => error.code,
      );
  }
  return results;
}

async function run() {
  const report = {};
  if (scenario.module) report.results = await verifyScenario(await import(scenario.module));
  // Probes: small modules that each call `probe()`; every outcome is recorded, failures included.
  if (scenario.probes) {
    report.probes = {};
    for (const [name, url] of Object.entries(scenario.probes)) {
      try {
        report.probes[name] = { ok: true, value: await (await import(url)).probe() };
      } catch (error) {
        report.probes[name] = { ok: false, error: String(error?.message ?? error) };
      }
    }
  }
  return report;
}

run().then(
  (report) => out.write(JSON.stringify({ ok: true, ...report })),
  (error) => out.write(JSON.stringify({ ok: false, error: String(error?.stack ?? error) })),
);
