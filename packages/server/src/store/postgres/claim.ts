import type { ClaimKeys } from "../sql/deliveries.js";

/**
 * One statement, endpoint by endpoint through delivery_queue_by_endpoint: the endpoints with queued deliveries (a
 * loose index scan, one seek each), then each one's soonest due, unleased ones (a LATERAL index range). Its cost
 * follows the endpoints and the rows taken, never the size of the backlog. SKIP LOCKED lets processes claim side by
 * side: each passes over the rows another is claiming right now; a row another process claimed and committed
 * meanwhile is re-checked on lock and, leased now, dropped. A delivery is never leased twice.
 */
export const postgresClaimKeys: ClaimKeys = async (db, request) => {
  const rows = await db.all<{ delivery_key: string }>(
    `WITH RECURSIVE endpoints(k) AS (
       (SELECT endpoint FROM delivery_queue ORDER BY endpoint LIMIT 1)
       UNION ALL
       SELECT (SELECT endpoint FROM delivery_queue WHERE endpoint > endpoints.k ORDER BY endpoint LIMIT 1) FROM endpoints WHERE endpoints.k IS NOT NULL
     ), due AS (
       SELECT q.delivery_key, q.due_at FROM endpoints
       CROSS JOIN LATERAL (
         SELECT delivery_key, due_at FROM delivery_queue
         WHERE endpoint = endpoints.k AND due_at <= :now AND locked_by IS NULL
         ORDER BY due_at LIMIT LEAST(:perEndpoint::int, :limit::int)
         FOR UPDATE SKIP LOCKED
       ) q
       WHERE endpoints.k IS NOT NULL AND endpoints.k <> ALL(:skip::text[])
       ORDER BY q.due_at, q.delivery_key LIMIT :limit
     )
     UPDATE delivery_queue q SET locked_by = :worker FROM due WHERE q.delivery_key = due.delivery_key RETURNING q.delivery_key`,
    { now: request.now, perEndpoint: request.perEndpointLimit, limit: request.limit, skip: [...request.skipEndpoints], worker: request.worker },
  );
  return rows.map((r) => Number(r.delivery_key));
};
