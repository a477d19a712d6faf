import { isFifoEndpoint, isPacedEndpoint } from "../../core/fanout.js";
import type { ClaimRequest } from "../store.js";
import type { ClaimKeys } from "../sql/deliveries.js";
import type { SqlDb } from "../sql/db.js";

/** The endpoints that have deliveries in the queue: a loose index scan, one seek per endpoint. */
const QUEUED_ENDPOINTS = `WITH RECURSIVE keys(k) AS (
  SELECT MIN(endpoint) FROM delivery_queue
  UNION ALL
  SELECT (SELECT MIN(endpoint) FROM delivery_queue WHERE endpoint > k) FROM keys WHERE k IS NOT NULL
) SELECT k FROM keys WHERE k IS NOT NULL`;

type Due = { delivery_key: number; due_at: number };

/**
 * Endpoint by endpoint, through delivery_queue_by_endpoint: the endpoints with queued deliveries (one index seek
 * each), then each one's soonest due, unleased ones. Its cost follows the endpoints and the rows taken, never the
 * size of the backlog. SQLite has one writer, so what is read here is still free when it is leased below.
 * A FIFO endpoint gives only its oldest delivery, when it is due and nobody holds it (delivery_queue_fifo); a paced
 * one gives nothing while another worker holds some of it (docs/store.md: ordering and rate limits).
 */
export const sqliteClaimKeys: ClaimKeys = async (db, request) => {
  const skip = new Set(request.skipEndpoints);
  const endpoints = (await db.all<{ k: string }>(QUEUED_ENDPOINTS)).map((r) => r.k).filter((k) => !skip.has(k));
  const due: Due[] = [];
  for (const endpoint of endpoints) due.push(...(await dueAt(db, endpoint, request)));
  const chosen = due
    .sort((a, b) => a.due_at - b.due_at || a.delivery_key - b.delivery_key)
    .slice(0, request.limit)
    .map((d) => d.delivery_key);
  if (chosen.length > 0) {
    await db.run(
      `UPDATE delivery_queue SET locked_by = :worker WHERE ${db.dialect.inList("delivery_key", "keys", "bigint")}`,
      {
        worker: request.worker,
        keys: chosen,
      },
    );
  }
  return chosen;
};

async function dueAt(db: SqlDb, endpoint: string, request: ClaimRequest): Promise<Due[]> {
  if (isFifoEndpoint(endpoint)) {
    const head = await db.first<Due & { locked_by: number | null }>(
      `SELECT delivery_key, due_at, locked_by FROM delivery_queue WHERE endpoint = :endpoint AND endpoint LIKE 'fifo:%'
       ORDER BY delivery_key LIMIT 1`,
      { endpoint },
    );
    return head !== undefined && head.locked_by === null && head.due_at <= request.now ? [head] : [];
  }
  if (isPacedEndpoint(endpoint)) {
    const heldElsewhere = await db.first(
      "SELECT 1 AS held FROM delivery_queue WHERE endpoint = :endpoint AND locked_by IS NOT NULL AND locked_by <> :worker LIMIT 1",
      { endpoint, worker: request.worker },
    );
    if (heldElsewhere !== undefined) return [];
  }
  return db.all<Due>(
    `SELECT delivery_key, due_at FROM delivery_queue WHERE endpoint = :endpoint AND due_at <= :now AND locked_by IS NULL
     ORDER BY due_at LIMIT :limit`,
    { endpoint, now: request.now, limit: Math.min(request.perEndpointLimit, request.limit) },
  );
}
