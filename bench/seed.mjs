// The bench's only knowledge of the store's schema: seeds a backlog of pending, due deliveries for one static
// webhook straight into the database (through the API, a million would take far too long). Adapt this file when
// the schema changes; bench/backlog.mjs calls nothing else. Also reads what a dead worker held (failover.mjs).
//
// What a seeded row must be: what the server itself writes when an operation completes and its event fans out to
// one webhook: an `events` row (the payload is the exact body that is signed and sent; its id is the webhook-id)
// and a `deliveries` row, pending, due now, never attempted, not locked (locked_until/locked_by NULL), in its 24 h
// window from now.
// Rows are generated inside the database (a recursive CTE, generate_series): one statement per table.
import { createRequire } from "node:module";
import { join } from "node:path";
import pg from "pg";
import { ROOT } from "./harness.mjs";

const EVENT_TYPE = "bench.succeeded";

/** The SQLite database in a server's data dir. */
export const sqliteFile = (dataDir) => join(dataDir, "tidings.db");

/** The ids of seeded row `n` (SQL expressions over `n`), shaped like the server's: msg_ + 27, and 36 of [a-z0-9]. */
const ids = (pad) => ({
  event: `'msg_seed' || ${pad("n", 23)}`,
  operation: `'operations/seed' || ${pad("n", 32)}`,
  delivery: `'seed' || ${pad("n", 32)}`,
});

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
    const webhook = db.prepare("SELECT project_id, uri FROM webhooks WHERE id = ?").get(webhookId);
    if (webhook === undefined) throw new Error(`seed: no webhook ${webhookId} in ${file}`);
    const id = ids((n, width) => `printf('%0${width}d', ${n})`);
    const seq = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < @count)";
    const params = { count, project: webhook.project_id, now };
    db.transaction(() => {
      db.prepare(
        `${seq} INSERT INTO events (id, project_id, type, operation, payload, created_at)
         SELECT ${id.event}, @project, '${EVENT_TYPE}', ${id.operation}, ${payload(id.operation, new Date(now).toISOString())}, @now FROM seq`,
      ).run(params);
      db.prepare(
        `${seq} INSERT INTO deliveries (id, project_id, event_id, webhook_id, uri, endpoint_key, state, attempt_count, next_attempt_at, window_start_at, created_at, updated_at)
         SELECT ${id.delivery}, @project, ${id.event}, @webhook, @uri, @endpoint, 'pending', 0, @now, @now, @now, @now FROM seq`,
      ).run({ ...params, webhook: webhookId, uri: webhook.uri, endpoint: `webhook:${webhookId}` });
    })();
  } finally {
    db.close();
  }
}

async function seedPostgres(url, webhookId, count, now) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT project_id, uri FROM webhooks WHERE id = $1", [webhookId]);
    if (rows.length === 0) throw new Error(`seed: no webhook ${webhookId} in the database`);
    const [{ project_id: project, uri }] = rows;
    const id = ids((n, width) => `lpad(${n}::text, ${width}, '0')`);
    await client.query("BEGIN");
    await client.query(
      `INSERT INTO events (id, project_id, type, operation, payload, created_at)
       SELECT ${id.event}, $1, '${EVENT_TYPE}', ${id.operation}, ${payload(id.operation, new Date(now).toISOString())}, $2 FROM generate_series(1, $3::int) AS n`,
      [project, now, count],
    );
    await client.query(
      `INSERT INTO deliveries (id, project_id, event_id, webhook_id, uri, endpoint_key, state, attempt_count, next_attempt_at, window_start_at, created_at, updated_at)
       SELECT ${id.delivery}, $1, ${id.event}, $2, $3, $4, 'pending', 0, $5, $5, $5, $5 FROM generate_series(1, $6::int) AS n`,
      [project, webhookId, uri, `webhook:${webhookId}`, now, count],
    );
    await client.query("COMMIT");
    await client.query("ANALYZE events; ANALYZE deliveries");
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
