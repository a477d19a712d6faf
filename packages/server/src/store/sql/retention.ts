import { DELIVERIES_PER_EVENT, deliveryKey } from "../../core/ids.js";
import type { Purged } from "../../core/retention.js";
import type { RetentionStore } from "../store.js";
import { num, optNum, type SqlDb } from "./db.js";
import { PROJECT_KEY } from "./events.js";
import {
  HIDDEN_BATCH,
  RUNNING_OPERATION,
  UNFINISHED_BATCHES,
  UNFINISHED_INTERACTIONS,
  UNFINISHED_VIDEOS,
} from "./states.js";

/** The kinds of operation the sweep purges, each with the name its events carry (core: operationName, …). */
const KINDS = [
  {
    resource: "operations",
    table: "operations",
    ended: `state <> ${RUNNING_OPERATION}`,
    endedAt: "updated_at",
    name: "'operations/' || id",
  },
  {
    resource: "batches",
    table: "batches",
    ended: `state NOT IN ${UNFINISHED_BATCHES} AND state <> ${HIDDEN_BATCH}`,
    endedAt: "ended_at",
    name: "'batches/' || id",
  },
  {
    resource: "videos",
    table: "video_operations",
    ended: `state NOT IN ${UNFINISHED_VIDEOS}`,
    endedAt: "ended_at",
    name: "'models/' || model || '/operations/' || id",
  },
  {
    resource: "interactions",
    table: "interactions",
    ended: `status NOT IN ${UNFINISHED_INTERACTIONS}`,
    endedAt: "ended_at",
    name: "'interactions/' || id",
  },
] as const;

/** Batch lines deleted per step: a large batch goes in several. */
const LINES_PER_STEP = 2000;

/**
 * Purging, in short steps (docs/store.md: retention). Events are read in the order they were written (their keys)
 * through the project's index, so a step reads what it purges and stops at the first event not old enough.
 * An event's deliveries and their attempts are one range of keys.
 */
export class SqlRetention implements RetentionStore {
  constructor(private readonly db: SqlDb) {}

  async projects(): Promise<{ projectId: string; retentionMs?: number }[]> {
    const rows = await this.db.all<{ id: string; retention_ms: number | string | null }>(
      "SELECT id, retention_ms FROM projects",
    );
    return rows.map((r) => ({
      projectId: r.id,
      ...(r.retention_ms !== null ? { retentionMs: num(r.retention_ms) } : {}),
    }));
  }

  purgeEvents(
    projectId: string,
    before: number,
    after: number,
    limit: number,
  ): Promise<{ purged: Purged; next?: number }> {
    return this.db.atomically(async (db) => {
      const rows = await db.all<{ key: number | string; created_at: number | string }>(
        `SELECT key, created_at FROM events WHERE project_key = ${PROJECT_KEY} AND key > :after ORDER BY key LIMIT :limit`,
        { projectId, after, limit },
      );
      const old = [];
      for (const row of rows) {
        // Keys follow the order of writing, and so of time: the first event not old enough ends the scan.
        if (num(row.created_at) >= before) break;
        old.push(num(row.key));
      }
      const last = old.at(-1);
      if (last === undefined) return { purged: {} };
      const range = { from: deliveryKey(old[0] as number, 0), until: deliveryKey(last + 1, 0) };
      const pending = new Set(
        (
          await db.all<{ event_key: number | string }>(
            `SELECT DISTINCT key / ${DELIVERIES_PER_EVENT} AS event_key FROM deliveries WHERE key >= :from AND key < :until AND state = 'pending'`,
            range,
          )
        ).map((r) => num(r.event_key)),
      );
      const purged = await deleteEvents(
        db,
        old.filter((key) => !pending.has(key)),
      );
      return { purged, ...(old.length === rows.length && rows.length === limit ? { next: last } : {}) };
    });
  }

  purgeOperations(projectId: string, before: number, limit: number): Promise<Purged> {
    return this.db.atomically(async (db) => {
      const purged: Purged = {};
      for (const kind of KINDS) {
        // Ended before the cutoff, and no event left that names it (an event with a pending delivery keeps it).
        const ids = (
          await db.all<{ id: string }>(
            `SELECT id FROM ${kind.table} WHERE project_id = :projectId AND created_at < :before AND ${kind.ended} AND ${kind.endedAt} < :before
             AND NOT EXISTS (SELECT 1 FROM events e WHERE e.operation = ${kind.name}) ORDER BY created_at LIMIT :limit`,
            { projectId, before, limit },
          )
        ).map((r) => r.id);
        if (ids.length === 0) continue;
        if (kind.table === "batches") ids.splice(0, ids.length, ...(await emptyBatches(db, ids)));
        if (ids.length === 0) continue;
        purged[kind.resource] = await db.run(
          `DELETE FROM ${kind.table} WHERE project_id = :projectId AND ${db.dialect.inList("id", "ids", "text")}`,
          {
            projectId,
            ids,
          },
        );
      }
      return purged;
    });
  }

  purgeTallies(projectId: string, beforeMinute: number, limit: number): Promise<Purged> {
    return this.db.atomically(async (db) => {
      const tallies = await db.run(
        `DELETE FROM attempt_minutes WHERE (project_id, webhook_key, minute) IN (
           SELECT project_id, webhook_key, minute FROM attempt_minutes WHERE project_id = :projectId AND minute < :beforeMinute LIMIT :limit)`,
        { projectId, beforeMinute, limit },
      );
      await db.run("DELETE FROM webhook_last_errors WHERE project_id = :projectId AND at < :before", {
        projectId,
        before: beforeMinute * 60_000,
      });
      return tallies > 0 ? { tallies } : {};
    });
  }

  async purgeDeletedWebhooks(before: number): Promise<number> {
    return this.db.run(
      "DELETE FROM deleted_webhooks WHERE deleted_at < :before AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.webhook_key = deleted_webhooks.key)",
      { before },
    );
  }

  async expiredFiles(now: number, limit: number): Promise<{ projectId: string; id: string }[]> {
    const rows = await this.db.all<{ project_id: string; id: string }>(
      "SELECT project_id, id FROM files WHERE expire_at <= :now ORDER BY expire_at LIMIT :limit",
      { now, limit },
    );
    return rows.map((r) => ({ projectId: r.project_id, id: r.id }));
  }

  eraseEvents(projectId: string, operation: string): Promise<Purged> {
    return this.db.atomically(async (db) => {
      const keys = (
        await db.all<{ key: number | string }>(
          `SELECT key FROM events WHERE operation = :operation AND project_key = ${PROJECT_KEY}`,
          {
            operation,
            projectId,
          },
        )
      ).map((r) => num(r.key));
      if (keys.length === 0) return {};
      // Erasure takes pending deliveries too: what is asked to be forgotten is not sent.
      for (const key of keys) {
        await db.run("DELETE FROM delivery_queue WHERE delivery_key >= :from AND delivery_key < :until", {
          from: deliveryKey(key, 0),
          until: deliveryKey(key + 1, 0),
        });
      }
      return deleteEvents(db, keys, true);
    });
  }
}

/**
 * Deletes these batches' lines, LINES_PER_STEP at most per step (a large batch goes in several), and returns those
 * left with none: the batches that may go now.
 */
async function emptyBatches(db: SqlDb, ids: readonly string[]): Promise<string[]> {
  let budget = LINES_PER_STEP;
  const empty: string[] = [];
  for (const id of ids) {
    if (budget <= 0) break;
    const first = optNum(
      (
        await db.first<{ first: number | string | null }>(
          "SELECT MIN(line_index) AS first FROM batch_lines WHERE batch_id = :id",
          { id },
        )
      )?.first,
    );
    if (first !== undefined) {
      budget -= await db.run("DELETE FROM batch_lines WHERE batch_id = :id AND line_index < :upto", {
        id,
        upto: first + budget,
      });
      if ((await db.first("SELECT 1 AS left FROM batch_lines WHERE batch_id = :id LIMIT 1", { id })) !== undefined)
        continue;
    }
    empty.push(id);
  }
  return empty;
}

/**
 * These events with their deliveries and attempts: each event's deliveries are its range of keys. Unless `erase`,
 * a delivery that is pending (it may have become so since it was read: a recovery) stays, and so does its event.
 */
async function deleteEvents(db: SqlDb, keys: readonly number[], erase = false): Promise<Purged> {
  if (keys.length === 0) return {};
  const range = {
    from: deliveryKey(Math.min(...keys), 0),
    until: deliveryKey(Math.max(...keys) + 1, 0),
    keys: [...keys],
  };
  const ofEvents = (column: string) =>
    `${column} >= :from AND ${column} < :until AND ${db.dialect.inList(`${column} / ${DELIVERIES_PER_EVENT}`, "keys", "bigint")}`;
  const settled = erase ? "" : ` AND ${deliveryNotPending("d")}`;
  const attempts = await db.run(
    `DELETE FROM attempts WHERE ${ofEvents("delivery_key")} AND delivery_key IN (SELECT d.key FROM deliveries d WHERE ${ofEvents("d.key")}${settled})`,
    range,
  );
  const deliveries = await db.run(
    `DELETE FROM deliveries WHERE ${ofEvents("key")}${erase ? "" : ` AND ${deliveryNotPending("deliveries")}`}`,
    range,
  );
  const events = await db.run(
    `DELETE FROM events WHERE ${db.dialect.inList("key", "keys", "bigint")}
     AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.key >= events.key * ${DELIVERIES_PER_EVENT} AND d.key < (events.key + 1) * ${DELIVERIES_PER_EVENT})`,
    { keys: [...keys] },
  );
  return { events, deliveries, attempts };
}

const deliveryNotPending = (table: string) => `${table}.state <> 'pending'`;
