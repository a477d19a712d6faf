// `npm test` runs the Python receiver kit's tests (packages/python) this way:
//   1. Debian's python3 (/usr/bin/python3, or TIDINGS_PYTHON; the python3 on PATH may be another build) must
//      import what the package and its tests need, all from Debian's packages (PyPI is not used): missing and
//      CI=true → apt-get install them; missing elsewhere → say which and how, and fail;
//   2. a virtual environment that sees those packages (`-m venv --system-site-packages`), kept in
//      node_modules/.cache/tidings-python, gets `pip install --no-index --no-build-isolation packages/python`,
//      as a user's would from a clone;
//   3. pytest runs packages/python/tests in it: the shared signing vectors, and deliveries from real servers
//      (the built `tidings serve`, started by the tests on port 0), so the server must be built (npm test is).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { aptInstall } from "./apt.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = process.env.TIDINGS_PYTHON ?? "/usr/bin/python3";
const VENV = join(ROOT, "node_modules/.cache/tidings-python/venv");
const PACKAGE = join(ROOT, "packages/python");

/** Each module the package, its helpers and its tests import, with the Debian package that provides it. */
const MODULES = {
  cryptography: "python3-cryptography",
  jwt: "python3-jwt",
  pytest: "python3-pytest",
  flask: "python3-flask",
  fastapi: "python3-fastapi",
  httpx: "python3-httpx",
  uvicorn: "python3-uvicorn",
  setuptools: "python3-setuptools",
  wheel: "python3-wheel",
  pip: "python3-pip",
  ensurepip: "python3-venv",
};

function missingModules() {
  if (!existsSync(PYTHON)) return Object.keys(MODULES);
  const probe =
    "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))";
  return execFileSync(PYTHON, ["-c", probe, ...Object.keys(MODULES)], { encoding: "utf8" })
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

function run(command, args, env = { ...process.env }) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// The suite's second pass on another Node line (scripts/test-on-node.mjs) has nothing new to show the Python kit.
if (process.env.TIDINGS_TEST_NODE_PASS !== undefined) {
  console.log(`python-tests: run by the first pass, not again on Node ${process.env.TIDINGS_TEST_NODE_PASS}`);
  process.exit(0);
}

let missing = missingModules();
if (missing.length > 0) {
  const packages = [...new Set(missing.map((m) => MODULES[m]))];
  if (process.env.CI !== "true") {
    console.error(
      `python-tests: ${PYTHON} cannot import ${missing.join(", ")}. Install them with \`apt-get install ${packages.join(" ")}\` ` +
        "(or run with CI=true, which does), or point TIDINGS_PYTHON at a python3 that has them.",
    );
    process.exit(1);
  }
  console.error(`python-tests: installing ${packages.join(" ")} for ${PYTHON}`);
  aptInstall(...packages);
  missing = missingModules();
  if (missing.length > 0) {
    console.error(`python-tests: apt-get finished but ${PYTHON} still cannot import ${missing.join(", ")}`);
    process.exit(1);
  }
}

const venvPython = join(VENV, "bin/python");
if (!existsSync(venvPython)) {
  mkdirSync(dirname(VENV), { recursive: true });
  run(PYTHON, ["-m", "venv", "--system-site-packages", VENV]);
}
// Installed afresh each run, from the working tree, the way the README tells users to.
spawnSync(venvPython, ["-m", "pip", "uninstall", "--yes", "--quiet", "tidings-webhooks"], { stdio: "ignore" });
run(venvPython, ["-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation", PACKAGE]);
// setuptools builds in the tree; what it leaves there is not the checkout's.
rmSync(join(PACKAGE, "build"), { recursive: true, force: true });
for (const entry of readdirSync(join(PACKAGE, "src")))
  if (entry.endsWith(".egg-info")) rmSync(join(PACKAGE, "src", entry), { recursive: true, force: true });
const pytestEnv = {
  ...process.env,
  TIDINGS_SERVER_CLI: join(ROOT, "packages/server/dist/cli/main.js"),
  // The server-driven tests fail rather than skip here: npm test must run them.
  TIDINGS_REQUIRE_SERVER: "1",
};
// Under `npm run test:later` (libfaketime), Python 3.11's time.sleep (clock_nanosleep on the monotonic clock with an
// absolute deadline) fails with EINVAL when libfaketime leaves the monotonic clock alone: that libfaketime bug is
// avoided by letting it move the monotonic clock too, for the Python kit's processes only (CONTRIBUTING.md: tiers).
delete pytestEnv.FAKETIME_DONT_FAKE_MONOTONIC;
run(venvPython, ["-m", "pytest", "-p", "no:cacheprovider", "-q", join(PACKAGE, "tests")], pytestEnv);
