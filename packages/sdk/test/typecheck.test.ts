/**
 * Type-level tests, run through tsc because vitest does not type-check:
 * - types/events.check.ts: narrowing on `type` works in user code, and nothing is `any`;
 *   compiled with the verify module and NO Node typings, so verify cannot come to need them.
 * - types/adapters.check.ts: the receiver adapters fit node:http's and Fastify's real types.
 */
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");

function typecheck(project: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [tsc, "-p", join(here, "types", project), "--pretty", "false"],
      { cwd: repoRoot, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolvePromise({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe("types", () => {
  // Both compilations start together; each test awaits its own.
  const verifyCheck = typecheck("tsconfig.verify.json");
  const adaptersCheck = typecheck("tsconfig.adapters.json");

  it("event narrowing type-checks, and src/verify compiles without Node typings", async () => {
    const result = await verifyCheck;
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("adapters fit node:http and Fastify types", async () => {
    const result = await adaptersCheck;
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });
});
