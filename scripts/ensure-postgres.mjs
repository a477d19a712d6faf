// The test suite runs the store conformance suite and the multi-process tests against a real PostgreSQL.
// Make sure one answers at TIDINGS_TEST_DATABASE_URL, starting the machine's cluster if it is installed but down.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import pg from "pg";

const url = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function reachable() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
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

if (!(await reachable())) {
  let versions = [];
  try {
    versions = readdirSync("/etc/postgresql");
  } catch {
    // not installed as a Debian cluster
  }
  for (const version of versions) {
    try {
      execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
    } catch {
      // already running or not startable; the check below decides
    }
  }
  const deadline = Date.now() + 20_000;
  while (!(await reachable())) {
    if (Date.now() > deadline) {
      console.error(`PostgreSQL is not reachable at ${url}. Start it, or point TIDINGS_TEST_DATABASE_URL at one.`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
