// The durable floor's store (issue 16): the least a durable webhook dispatcher writes per event, as the
// reference was built. better-sqlite3 in WAL mode with synchronous=NORMAL; one row per event (the event and its
// delivery together); a complete is a checked update of the operation row (`WHERE id = ? AND state = 'RUNNING'`)
// and that event's insert, in the caller's transaction (bench/floor/server.mjs groups one per turn of the event
// loop); outcomes are recorded in batches. `indexes` (0 to 4) picks how many of the events table's secondary
// indexes exist: with all 4 it is "the floor" the bench reports.
//
// Used by bench/floor/server.mjs (the dispatcher run.mjs measures) and by bench/store-counts.mjs (the same
// write path, counted).
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const Database = createRequire(join(ROOT, "packages/server/package.json"))("better-sqlite3");

/** The events table's secondary indexes, in the order `indexes` takes them. */
export const EVENT_INDEXES = [
  // What a restart (or a retry) reads: the events still to deliver, by when they are due.
  "CREATE INDEX events_due ON events (next_attempt_at) WHERE state = 'pending'",
  // An operation's events.
  "CREATE INDEX events_by_operation ON events (operation_id, created_at)",
  // The events of a type, newest first.
  "CREATE INDEX events_by_type ON events (type, created_at)",
  // The newest events first (a list, a dashboard).
  "CREATE INDEX events_by_time ON events (created_at)",
];

const EVENT_TYPE = "bench.succeeded";
const SCHEMA = `
  CREATE TABLE operations (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    state TEXT NOT NULL,
    output_file_uri TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    operation_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_status INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
`;

/**
 * Opens (creates) the floor's database at `path`. `autocheckpoint: false` turns SQLite's automatic checkpoint off
 * (store-counts.mjs measures the WAL's growth); otherwise SQLite's default runs (1,000 pages, on the committing
 * thread).
 */
export function openFloorStore(path, { indexes = EVENT_INDEXES.length, autocheckpoint = true, now = Date.now } = {}) {
  if (!(indexes >= 0 && indexes <= EVENT_INDEXES.length)) throw new Error(`indexes: 0 to ${EVENT_INDEXES.length}`);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  if (!autocheckpoint) db.pragma("wal_autocheckpoint = 0");
  db.exec(SCHEMA);
  for (const sql of EVENT_INDEXES.slice(0, indexes)) db.exec(sql);

  const insertOperation = db.prepare(
    "INSERT INTO operations (type, state, created_at, updated_at) VALUES (?, 'RUNNING', ?, ?)",
  );
  const completeOperation = db.prepare(
    "UPDATE operations SET state = 'SUCCEEDED', output_file_uri = ?, updated_at = ? WHERE id = ? AND state = 'RUNNING'",
  );
  const insertEvent = db.prepare(
    `INSERT INTO events (operation_id, type, payload, state, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, 'pending', ?, ?, ?)`,
  );
  const recordOutcome = db.prepare(
    "UPDATE events SET state = ?, attempts = attempts + 1, last_status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
  );
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  // The webhook-id is the row's key and a tag (as Tidings' event ids, docs/store.md): a receiver's webhook-id finds
  // the row through the primary key, with no index of its own. The tag is drawn when the store opens (the floor
  // never reopens one: the bench does not restart it), so two runs' ids differ at the receiver.
  const tag = randomBytes(12).toString("base64url").slice(0, 16);
  const messageId = (eventId) => `msg_${eventId.toString(36).padStart(11, "0")}${tag}`;
  const inTransaction = (fn) => {
    begin.run();
    try {
      const result = fn();
      commit.run();
      return result;
    } catch (err) {
      rollback.run();
      throw err;
    }
  };

  function complete(id, outputFileUri, at) {
    if (completeOperation.run(outputFileUri ?? null, at, id).changes === 0) return undefined;
    const name = `operations/${id}`;
    const payload = JSON.stringify({
      type: EVENT_TYPE,
      version: "v1",
      timestamp: new Date(at).toISOString(),
      data: { id: name, ...(outputFileUri !== undefined ? { output_file_uri: outputFileUri } : {}) },
    });
    const eventId = Number(insertEvent.run(id, EVENT_TYPE, payload, at, at, at).lastInsertRowid);
    return { id: eventId, messageId: messageId(eventId), payload };
  }

  return {
    db,
    /**
     * One transaction for `jobs`, in order: `{kind: "create", type}` → `{id}`; `{kind: "complete", id,
     * outputFileUri}` → `{event: {id, messageId, payload}}`, or `{}` when the operation is not RUNNING.
     */
    commit(jobs) {
      const at = now();
      return inTransaction(() =>
        jobs.map((job) =>
          job.kind === "create"
            ? { id: Number(insertOperation.run(job.type, at, at).lastInsertRowid) }
            : { event: complete(job.id, job.outputFileUri, at) },
        ),
      );
    },
    /** One transaction: `{id, status, delivered, retryAt}` per attempt (`retryAt` when it was not delivered). */
    recordOutcomes(outcomes) {
      const at = now();
      inTransaction(() => {
        for (const o of outcomes)
          recordOutcome.run(o.delivered ? "delivered" : "pending", o.status ?? null, o.retryAt ?? null, at, o.id);
      });
    },
    delivered: () => db.prepare("SELECT COUNT(*) AS n FROM events WHERE state = 'delivered'").get().n,
    checkpoint: () => db.pragma("wal_checkpoint(TRUNCATE)"),
    close: () => db.close(),
  };
}
