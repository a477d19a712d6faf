/**
 * `@tidings/sdk/verify` must run where Node does not: no `node:` (or bare built-in) import anywhere in
 * its import graph, jose included, and no Node-only globals (Buffer, process) at run time.
 *
 * The built `dist/verify/index.js` is loaded in a child process whose ESM resolve hook refuses every
 * built-in, with Buffer/process deleted from globalThis, and then verifies real deliveries. Negative
 * controls prove the harness does catch a `node:crypto` import, a Buffer call and a process lookup.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFixture, randomSecret, sampleEvent, type SigningVectors, type VectorsFile } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const sdkDir = resolve(here, "..");
const repoRoot = resolve(sdkDir, "../..");
const distVerify = join(sdkDir, "dist/verify/index.js");
const harnessDir = join(here, "no-node");

interface HarnessResult {
  ok: boolean;
  error?: string;
  results?: Record<string, unknown>;
  probes?: Record<string, { ok: boolean; value?: unknown; error?: string }>;
}

function runHarness(scenario: Record<string, unknown>): Promise<HarnessResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [
        "--import",
        pathToFileURL(join(harnessDir, "register.mjs")).href,
        join(harnessDir, "harness.mjs"),
        JSON.stringify(scenario),
      ],
      { cwd: sdkDir, timeout: 20_000 },
      (error, stdout, stderr) => {
        if (stdout.trim() === "") {
          reject(new Error(`harness printed nothing (${String(error)}): ${stderr}`));
          return;
        }
        resolvePromise(JSON.parse(stdout) as HarnessResult);
      },
    );
  });
}

let tmp: string;

beforeAll(() => {
  // The test runs the build output, so build first (incremental: fast when nothing changed).
  execFileSync(process.execPath, [join(repoRoot, "node_modules/typescript/bin/tsc"), "-b", sdkDir], {
    cwd: repoRoot,
    stdio: "pipe",
  });
  tmp = mkdtempSync(join(tmpdir(), "tidings-no-node-"));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("@tidings/sdk/verify without Node built-ins", () => {
  it("loads and verifies HMAC vectors, a typed event, an RS256 JWT and v1a (Ed25519) with built-ins refused", async () => {
    const vector = readFixture<VectorsFile>("standard-webhooks-vectors.json").sign[0]!;
    const signing = readFixture<SigningVectors>("signing-vectors.json");
    const secret = randomSecret();
    const body = sampleEvent("batches/nonode");

    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256" };
    const jwtBody = sampleEvent("batches/jwt");
    const audience = "https://receiver.example/hook";
    const iat = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ...JSON.parse(jwtBody), body_sha256: await sha256url(jwtBody) })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .setJti("msg_jwt")
      .sign(privateKey);

    const outcome = await runHarness({
      module: pathToFileURL(distVerify).href,
      hmac: vector,
      event: { secret, id: "msg_nonode", timestamp: 1_700_000_000, body },
      jwt: {
        body: jwtBody,
        headers: { "webhook-id": "msg_jwt", "webhook-timestamp": String(iat), "webhook-signature": token },
        jwks: { keys: [jwk] },
        audience,
      },
      v1a: {
        at: signing.verify_at,
        stat: signing.static_v1a.cases[0],
        dyn: signing.dynamic.cases[1],
        jwks: signing.dynamic.jwks,
      },
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.ok).toBe(true);
    expect(outcome.results).toEqual({
      signed: vector.signature,
      verified: { webhookId: vector.msg_id, timestamp: vector.timestamp },
      event: JSON.parse(body),
      jwtEvent: JSON.parse(jwtBody),
      jwtTampered: "invalid_signature",
      v1aStatic: JSON.parse(signing.static_v1a.cases[0]!.payload),
      v1aDynamic: JSON.parse(signing.dynamic.cases[1]!.payload),
      v1aTampered: "invalid_signature",
    });
  });

  it("the harness catches a node:crypto import, a bare built-in, Buffer and process (negative controls)", async () => {
    const cases: Record<string, string> = {
      "node-crypto.mjs": 'import { createHmac } from "node:crypto";\nexport const probe = () => typeof createHmac;\n',
      "bare-fs.mjs": 'import fs from "fs";\nexport const probe = () => typeof fs;\n',
      // A built-in reached through a nested import, as a dependency would.
      "nested.mjs": 'export { probe } from "./inner.mjs";\n',
      "inner.mjs": 'import { Buffer } from "node:buffer";\nexport const probe = () => Buffer.name;\n',
      "buffer-global.mjs": 'export const probe = () => Buffer.from("x").toString("base64");\n',
      "process-global.mjs":
        'export const probe = () => process.getBuiltinModule("node:crypto").createHash("sha256");\n',
      "clean.mjs": 'export const probe = () => btoa("x");\n',
    };
    for (const [name, source] of Object.entries(cases)) writeFileSync(join(tmp, name), source);
    const outcome = await runHarness({
      probes: Object.fromEntries(
        Object.keys(cases)
          .filter((name) => name !== "inner.mjs")
          .map((name) => [name, pathToFileURL(join(tmp, name)).href]),
      ),
    });
    expect(outcome.ok).toBe(true);
    const probes = outcome.probes!;
    for (const name of ["node-crypto.mjs", "bare-fs.mjs", "nested.mjs"]) {
      expect(probes[name], name).toMatchObject({ ok: false, error: expect.stringContaining("NODE_BUILTIN_IMPORT") });
    }
    for (const name of ["buffer-global.mjs", "process-global.mjs"]) {
      expect(probes[name], name).toMatchObject({ ok: false, error: expect.stringMatching(/is not defined/) });
    }
    expect(probes["clean.mjs"]).toEqual({ ok: true, value: "eA==" });
  });

  it("no module in the static import graph of dist/verify (jose included) names a built-in", () => {
    const builtins = new Set(builtinModules);
    const require = createRequire(import.meta.url);
    const seen = new Set<string>();
    const offenders: string[] = [];
    const pending = [distVerify];
    // Specifiers never contain whitespace, which keeps prose in comments ("from \"this token\"") out.
    const specifierPattern = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"'\s]+)["']/g;
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const [, specifier] of readFileSync(file, "utf8").matchAll(specifierPattern)) {
        if (specifier!.startsWith("node:") || builtins.has(specifier!.split("/")[0]!)) {
          offenders.push(`${file}: ${specifier}`);
        } else if (specifier!.startsWith(".")) {
          pending.push(resolve(dirname(file), specifier!));
        } else {
          pending.push(require.resolve(specifier!));
        }
      }
    }
    expect(offenders).toEqual([]);
    // The walk did reach jose's WebCrypto build, so "no offenders" covers it.
    expect([...seen].some((file) => file.includes(`${join("node_modules", "jose")}`))).toBe(true);
    expect([...seen].some((file) => file.endsWith(join("verify", "jwt.js")))).toBe(true);
  });
});

async function sha256url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Buffer.from(digest).toString("base64url");
}
