// Builds what the package ships: ES modules in dist/ and CommonJS in dist/cjs/. The CommonJS files are `.js`
// like the others, so dist/cjs/package.json tells Node they are CommonJS (this package is "type": "module").
// Incremental, so packing an up-to-date checkout rewrites nothing (tests elsewhere may be loading dist/ meanwhile);
// a build whose output is gone is forced, since its build info file alone would make tsc skip the emit.
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
for (const [config, entry] of [
  ["tsconfig.json", "dist/index.js"],
  ["tsconfig.cjs.json", "dist/cjs/index.js"],
]) {
  const force = existsSync(join(sdk, entry)) ? [] : ["--force"];
  execFileSync(process.execPath, [tsc, "-b", ...force, join(sdk, config)], { stdio: "inherit" });
}
writeFileSync(join(sdk, "dist", "cjs", "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
