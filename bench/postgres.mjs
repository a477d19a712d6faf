// PostgreSQL for the bench scripts: a schema of their own per run (dropped afterwards), the URL that puts a
// server in it, and the CPU of the database backends serving it (so that it is not counted as "others").
import { randomBytes } from "node:crypto";
import pg from "pg";
import { processCpuSeconds } from "./lib.mjs";

/** The machine's PostgreSQL (trust auth); BENCH_PG_URL points elsewhere. */
export const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Creates an empty schema `tidings_bench_<label>_<random>`. Servers started with `url` keep their tables there
 * (`search_path`) and name their connections `applicationName`, by which databaseCpuSnapshot() finds them.
 */
export async function createSchema(label) {
  const name = `tidings_bench_${label}_${randomBytes(4).toString("hex")}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(PG_URL);
  url.searchParams.set("options", `-c search_path=${name}`);
  url.searchParams.set("application_name", name);
  return {
    name,
    url: url.toString(),
    applicationName: name,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** CPU seconds so far of each backend process serving `applicationName` (pid → seconds; local servers only). */
export async function databaseCpuSnapshot(applicationName) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [
      applicationName,
    ]);
    const cpu = new Map();
    for (const { pid } of rows) {
      const seconds = processCpuSeconds(pid);
      if (seconds !== undefined) cpu.set(pid, seconds);
    }
    return cpu;
  } finally {
    await client.end();
  }
}

/** CPU the backends used between two snapshots (a backend opened meanwhile counts from its start). */
export function databaseCpuDelta(before, after) {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return Math.round(total * 1000) / 1000;
}
