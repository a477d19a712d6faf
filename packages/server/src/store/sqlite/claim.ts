import type { ClaimKeys } from "../sql/deliveries.js";

/** The endpoints that have deliveries in the queue: a loose index scan, one seek per endpoint. */
const QUEUED_ENDPOINTS = `WITH RECURSIVE keys(k) AS (
  SELECT MIN(endpoint) FROM delivery_queue
  UNION ALL
  SELECT (SELECT MIN(endpoint) FROM delivery_queue WHERE endpoint > k) FROM keys WHERE k IS NOT NULL
) SELECT k FROM keys WHERE k IS NOT NULL`;

/**
 * Endpoint by endpoint, through delivery_queue_by_endpoint: the endpoints with queued deliveries (one index seek
 * each), then each one's soonest due, unleased ones. Its cost follows the endpoints and the rows taken, never the
 * size of the backlog. SQLite has one writer, so what is read here is still free when it is leased below.
 */
export const sqliteClaimKeys: ClaimKeys = async (db, request) => {
  const skip = new Set(request.skipEndpoints);
  const endpoints = (await db.all<{ k: string }>(QUEUED_ENDPOINTS)).map((r) => r.k).filter((k) => !skip.has(k));
  const perEndpoint = Math.min(request.perEndpointLimit, request.limit);
  const due: { delivery_key: number; due_at: number }[] = [];
  for (const endpoint of endpoints) {
    due.push(
      ...(await db.all<{ delivery_key: number; due_at: number }>(
        `SELECT delivery_key, due_at FROM delivery_queue WHERE endpoint = :endpoint AND due_at <= :now AND locked_by IS NULL
         ORDER BY due_at LIMIT :limit`,
        { endpoint, now: request.now, limit: perEndpoint },
      )),
    );
  }
  const chosen = due
    .sort((a, b) => a.due_at - b.due_at || a.delivery_key - b.delivery_key)
    .slice(0, request.limit)
    .map((d) => d.delivery_key);
  if (chosen.length > 0) {
    await db.run(`UPDATE delivery_queue SET locked_by = :worker WHERE ${db.dialect.inList("delivery_key", "keys", "bigint")}`, {
      worker: request.worker,
      keys: chosen,
    });
  }
  return chosen;
};
