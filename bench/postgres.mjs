// PostgreSQL for the bench scripts: a schema of their own per run (dropped afterwards), the URL that puts a
// server in it, and the CPU of the database backends serving it (so that it is not counted as "others").
import { randomBytes } from "node:crypto";
import { createConnection, createServer } from "node:net";
import pg from "pg";
import { processCpuSeconds } from "./lib.mjs";

/** The machine's PostgreSQL (trust auth); BENCH_PG_URL points elsewhere. */
export const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * BENCH_PG_DELAY_MS (default 0): the servers reach PostgreSQL through a proxy in this process that holds every chunk
 * this long each way, as a database on another host would (a round trip then costs at least twice this: timers
 * have a millisecond's grain). Round trips then show in the rates; at 0 the servers connect directly.
 */
const DELAY_MS = Number(process.env.BENCH_PG_DELAY_MS ?? 0);
let delayProxyPort;

/** `url` through the delaying proxy (started on first use), or `url` itself when BENCH_PG_DELAY_MS is 0. */
async function delayed(url) {
  if (!(DELAY_MS > 0)) return url;
  if (delayProxyPort === undefined) {
    const target = new URL(PG_URL);
    const proxy = createServer((client) => {
      const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ]) {
        from.setNoDelay(true);
        // Timers of one duration fire in the order they were set, so the bytes keep theirs.
        from.on("data", (chunk) => setTimeout(() => to.write(chunk), DELAY_MS));
        from.on("close", () => setTimeout(() => to.destroy(), DELAY_MS));
        from.on("error", () => to.destroy());
      }
    });
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxy.unref();
    delayProxyPort = proxy.address().port;
  }
  const through = new URL(url);
  through.hostname = "127.0.0.1";
  through.port = String(delayProxyPort);
  return through.toString();
}

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
    url: await delayed(url.toString()),
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
