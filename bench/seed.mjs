// The bench's only knowledge of the store's schema: seeds a backlog of pending, due deliveries for one static
// webhook straight into the database (through the API, a million would take far too long). Adapt this file when
// the schema changes; bench/backlog.mjs calls nothing else. Also reads what a dead worker held (failover.mjs).
//
// What a seeded row must be: what the server itself writes when an operation completes and its event fans out to
// one webhook and no engine was born leased to it (docs/store.md, "The lean delivery path"): an `events` row (an
// integer key, a tag; the payload is the exact body that is signed and sent), a `deliveries` row, pending, never
// attempted, keyed by its event's key × 65,536, in its 24 h window from now, and a `delivery_queue` row due now.
// Rows are generated inside the database (a recursive CTE, generate_series): one statement per table.
import { createRequire } from "node:module";
import { join } from "node:path";
import pg from "pg";
import { ROOT } from "./harness.mjs";

const EVENT_TYPE = "bench.succeeded";

/** The SQLite database in a server's data dir. */
export const sqliteFile = (dataDir) => join(dataDir, "tidings.db");

/** The operation name of seeded row `n` (an SQL expression over `n`), 36 characters of [a-z0-9] as the server's. */
const operationName = (pad) => `'operations/seed' || ${pad("n", 32)}`;

/** The event body, as the server serialises a custom operation's `succeeded` event (SQL over `n`). */
const payload = (idExpr, timestamp) =>
  `'{"type":"${EVENT_TYPE}","version":"v1","timestamp":"${timestamp}","data":{"id":"' || ${idExpr} || '","output_file_uri":"files/x"}}'`;

/**
 * Seeds `count` pending deliveries, due at `now`, for the static webhook `webhookId` (already created through the
 * API; the server must be stopped, or at least idle, meanwhile). `store` is `{ sqliteFile }` or `{ postgresUrl }`
 * (a URL whose search_path selects the server's schema). Resolves with the seconds it took.
 */
export async function seedBacklog(store, { webhookId, count, now = Date.now() }) {
  const started = performance.now();
  if (store.sqliteFile !== undefined) seedSqlite(store.sqliteFile, webhookId, count, now);
  else await seedPostgres(store.postgresUrl, webhookId, count, now);
  return Math.round(performance.now() - started) / 1000;
}

function seedSqlite(file, webhookId, count, now) {
  // better-sqlite3 as the server package resolves it.
  const Database = createRequire(join(ROOT, "packages/server/package.json"))("better-sqlite3");
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 10000");
    const webhook = db
      .prepare(
        "SELECT w.key, p.key AS project_key FROM webhooks w JOIN projects p ON p.id = w.project_id WHERE w.id = ?",
      )
      .get(webhookId);
    if (webhook === undefined) throw new Error(`seed: no webhook ${webhookId} in ${file}`);
    const operation = operationName((n, width) => `printf('%0${width}d', ${n})`);
    const seq = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < @count)";
    db.transaction(() => {
      const { base } = db.prepare("SELECT COALESCE(MAX(key), 0) AS base FROM events").get();
      const params = { count, base, now };
      db.prepare(
        `${seq} INSERT INTO events (key, tag, project_key, type, operation, payload, created_at)
         SELECT @base + n, printf('seed%012d', n), @project, '${EVENT_TYPE}', ${operation}, ${payload(operation, new Date(now).toISOString())}, @now FROM seq`,
      ).run({ ...params, project: webhook.project_key });
      db.prepare(
        `${seq} INSERT INTO deliveries (key, webhook_key, state, attempt_count, created_at, window_start_at)
         SELECT (@base + n) * 65536, @webhook, 'pending', 0, @now, @now FROM seq`,
      ).run({ ...params, webhook: webhook.key });
      db.prepare(
        `${seq} INSERT INTO delivery_queue (delivery_key, endpoint, due_at) SELECT (@base + n) * 65536, @endpoint, @now FROM seq`,
      ).run({ ...params, endpoint: `webhook:${webhookId}` });
    })();
  } finally {
    db.close();
  }
}

async function seedPostgres(url, webhookId, count, now) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT w.key, p.key AS project_key FROM webhooks w JOIN projects p ON p.id = w.project_id WHERE w.id = $1",
      [webhookId],
    );
    if (rows.length === 0) throw new Error(`seed: no webhook ${webhookId} in the database`);
    const [{ key: webhookKey, project_key: projectKey }] = rows;
    const operation = operationName((n, width) => `lpad(${n}::text, ${width}, '0')`);
    await client.query("BEGIN");
    await client.query("LOCK TABLE events IN EXCLUSIVE MODE");
    const [{ base }] = (await client.query("SELECT COALESCE(MAX(key), 0)::bigint AS base FROM events")).rows;
    await client.query(
      `INSERT INTO events (key, tag, project_key, type, operation, payload, created_at)
       SELECT $1::bigint + n, 'seed' || lpad(n::text, 12, '0'), $2, '${EVENT_TYPE}', ${operation}, ${payload(operation, new Date(now).toISOString())}, $3
       FROM generate_series(1, $4::int) AS n`,
      [base, projectKey, now, count],
    );
    // The identity goes on after the seeded keys, so the server's own events never collide with them.
    await client.query("SELECT setval(pg_get_serial_sequence('events', 'key'), $1::bigint + $2::int)", [base, count]);
    await client.query(
      `INSERT INTO deliveries (key, webhook_key, state, attempt_count, created_at, window_start_at)
       SELECT ($1::bigint + n) * 65536, $2, 'pending', 0, $3, $3 FROM generate_series(1, $4::int) AS n`,
      [base, webhookKey, now, count],
    );
    await client.query(
      `INSERT INTO delivery_queue (delivery_key, endpoint, due_at)
       SELECT ($1::bigint + n) * 65536, $2, $3 FROM generate_series(1, $4::int) AS n`,
      [base, `webhook:${webhookId}`, now, count],
    );
    await client.query("COMMIT");
    await client.query("ANALYZE events; ANALYZE deliveries; ANALYZE delivery_queue");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

/**
 * The operations whose deliveries a worker held when its process died (PostgreSQL, a URL whose search_path selects
 * the schema): pending deliveries born leased to it (`deliveries.locked_by`) or claimed by it
 * (`delivery_queue.locked_by`), through their events (a delivery's key is its event's key × 65,536 + its index).
 * The worker is found by the process id in its name (`host/pid/random`, boot/infrastructure.ts).
 */
export async function operationsHeldBy(postgresUrl, pid) {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `WITH worker AS (SELECT id FROM workers WHERE name LIKE '%/' || $1 || '/%')
       SELECT DISTINCT e.operation FROM deliveries d JOIN events e ON e.key = d.key / 65536
        WHERE d.state = 'pending'
          AND (d.locked_by IN (SELECT id FROM worker)
               OR d.key IN (SELECT delivery_key FROM delivery_queue WHERE locked_by IN (SELECT id FROM worker)))`,
      [String(pid)],
    );
    return rows.map((r) => r.operation);
  } finally {
    await client.end();
  }
}

/** Whether a worker named for process `pid` is still registered (PostgreSQL): false once it has been reaped. */
export async function workerRegistered(postgresUrl, pid) {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT 1 FROM workers WHERE name LIKE '%/' || $1 || '/%'", [String(pid)]);
    return rows.length > 0;
  } finally {
    await client.end();
  }
}
