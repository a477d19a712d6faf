/**
 * `@tidings/sdk` as npm would publish it: `npm pack` (whose prepack builds both module formats) makes the
 * tarball, the test checks what it holds, unpacks it into a throwaway application, and there `require()`s and
 * `import`s it, verifies a delivery through each, and type-checks both a CommonJS and an ES module consumer.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomSecret, sampleEvent } from "./helpers.js";

const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = resolve(sdkDir, "../..");
let tmp: string;
let app: string;
let files: string[];

/** A small program run in the application, printing JSON. */
function runInApp(args: string[]): unknown {
  return JSON.parse(
    execFileSync(process.execPath, args, { cwd: app, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
  );
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "tidings-sdk-pack-"));
  const out = execFileSync("npm", ["pack", "--pack-destination", tmp, "--json"], {
    cwd: sdkDir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [packed] = JSON.parse(out.slice(out.indexOf("["))) as [{ filename: string; files: { path: string }[] }];
  files = packed.files.map((f) => f.path).sort();

  // The application: the tarball unpacked where npm would put it, beside the dependencies it declares.
  app = join(tmp, "app");
  const modules = join(app, "node_modules");
  mkdirSync(join(modules, "@tidings"), { recursive: true });
  execFileSync("tar", ["-xzf", join(tmp, packed.filename), "-C", join(modules, "@tidings")]);
  renameSync(join(modules, "@tidings", "package"), join(modules, "@tidings", "sdk"));
  const manifest = JSON.parse(readFileSync(join(modules, "@tidings", "sdk", "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const dependency of [...Object.keys(manifest.dependencies), "@types/node"]) {
    mkdirSync(dirname(join(modules, dependency)), { recursive: true });
    symlinkSync(join(repoRoot, "node_modules", dependency), join(modules, dependency), "dir");
  }
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the packed @tidings/sdk", () => {
  it("holds both builds with their types, the README and licence, and no tests, sources, maps or build state", () => {
    for (const entry of ["index", "verify/index", "contract/index"]) {
      for (const build of ["dist", "dist/cjs"]) {
        expect(files).toContain(`${build}/${entry}.js`);
        expect(files).toContain(`${build}/${entry}.d.ts`);
      }
    }
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "dist/cjs/package.json"]));
    const unwanted = files.filter(
      (f) => /^(src|test|bench|scripts)\//.test(f) || /\.(map|tsbuildinfo)$|^tsconfig|\.test\./.test(f),
    );
    expect(unwanted).toEqual([]);
    expect(files.every((f) => f.startsWith("dist/") || ["package.json", "README.md", "LICENSE"].includes(f))).toBe(
      true,
    );
  });

  it("require() gets the CommonJS build of every entry point, and it verifies a delivery", () => {
    const secret = randomSecret();
    const body = sampleEvent("batches/cjs");
    const script = `
      const sdk = require("@tidings/sdk");
      const verify = require("@tidings/sdk/verify");
      const contract = require("@tidings/sdk/contract");
      const at = Math.floor(Date.now() / 1000);
      const headers = { "webhook-id": "msg_cjs", "webhook-timestamp": String(at), "webhook-signature": sdk.signStandardWebhook(${JSON.stringify(secret)}, "msg_cjs", at, ${JSON.stringify(body)}) };
      verify.verifyWebhook(${JSON.stringify(body)}, headers, { secret: ${JSON.stringify(secret)} }).then((event) => console.log(JSON.stringify({
        resolved: require.resolve("@tidings/sdk"),
        client: typeof sdk.TidingsClient,
        contract: typeof contract.Webhook,
        event,
      })));`;
    expect(runInApp(["-e", script])).toEqual({
      resolved: join(app, "node_modules/@tidings/sdk/dist/cjs/index.js"),
      client: "function",
      contract: "object",
      event: JSON.parse(body),
    });
  });

  it("import gets the ES module build of every entry point, and it verifies a delivery", () => {
    const secret = randomSecret();
    const body = sampleEvent("batches/esm");
    const script = `
      import { signStandardWebhook, TidingsClient } from "@tidings/sdk";
      import { verifyWebhook } from "@tidings/sdk/verify";
      import { Webhook } from "@tidings/sdk/contract";
      const at = Math.floor(Date.now() / 1000);
      const headers = { "webhook-id": "msg_esm", "webhook-timestamp": String(at), "webhook-signature": signStandardWebhook(${JSON.stringify(secret)}, "msg_esm", at, ${JSON.stringify(body)}) };
      const event = await verifyWebhook(${JSON.stringify(body)}, headers, { secret: ${JSON.stringify(secret)} });
      console.log(JSON.stringify({ resolved: import.meta.resolve("@tidings/sdk"), client: typeof TidingsClient, contract: typeof Webhook, event }));`;
    expect(runInApp(["--input-type=module", "-e", script])).toEqual({
      resolved: `file://${join(app, "node_modules/@tidings/sdk/dist/index.js")}`,
      client: "function",
      contract: "object",
      event: JSON.parse(body),
    });
  });

  it("TypeScript finds each build's own types, for a CommonJS and an ES module consumer", () => {
    const consumer = (load: string) => `${load}
export const check: (body: string, headers: Record<string, string>, options: { secret: string }) => Promise<unknown> = sdk.verifyWebhook;
export const client = new sdk.TidingsClient({ baseUrl: "http://127.0.0.1:8080", apiKey: "k" });
export const schema: object = contract.Webhook;
// @ts-expect-error: the types are real ones, not \`any\`: a name the package does not export is an error.
sdk.notExported();
`;
    writeFileSync(
      join(app, "consumer.cts"),
      consumer('import sdk = require("@tidings/sdk");\nimport contract = require("@tidings/sdk/contract");'),
    );
    writeFileSync(
      join(app, "consumer.mts"),
      consumer('import * as sdk from "@tidings/sdk";\nimport * as contract from "@tidings/sdk/contract";'),
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "ES2022",
          strict: true,
          noEmit: true,
          lib: ["ES2022", "DOM"],
          types: ["node"],
        },
        files: ["consumer.cts", "consumer.mts"],
      }),
    );
    const listed = execFileSync(
      process.execPath,
      [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", app, "--listFiles"],
      {
        cwd: app,
        encoding: "utf8",
      },
    );
    expect(listed).toContain(join(app, "node_modules/@tidings/sdk/dist/cjs/index.d.ts"));
    expect(listed).toContain(join(app, "node_modules/@tidings/sdk/dist/index.d.ts"));
  });
});
