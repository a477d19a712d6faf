import type { ClaimKeys } from "../sql/deliveries.js";

/**
 * One statement, endpoint by endpoint through delivery_queue_by_endpoint: the endpoints with queued deliveries (a
 * loose index scan, one seek each), then each one's soonest due, unleased ones (a LATERAL index range). Its cost
 * follows the endpoints and the rows taken, never the size of the backlog. SKIP LOCKED lets processes claim side by
 * side: each passes over the rows another is claiming right now; a row another process claimed and committed
 * meanwhile is re-checked on lock and, leased now, dropped. A delivery is never leased twice.
 *
 * A FIFO endpoint gives only its oldest delivery (delivery_queue_fifo), when it is due and nobody holds it; it is
 * read without SKIP LOCKED (skipping a locked head would hand out the one behind it) and re-checked as the UPDATE
 * locks it. A paced endpoint gives nothing while another worker holds some of it: one engine paces it at a time.
 * Two claims that race for a paced endpoint nobody held may both take some (docs/store.md: ordering and rate limits).
 */
export const postgresClaimKeys: ClaimKeys = async (db, request) => {
  const rows = await db.all<{ delivery_key: string }>(
    `WITH RECURSIVE endpoints(k) AS (
       (SELECT endpoint FROM delivery_queue ORDER BY endpoint LIMIT 1)
       UNION ALL
       SELECT (SELECT endpoint FROM delivery_queue WHERE endpoint > endpoints.k ORDER BY endpoint LIMIT 1) FROM endpoints WHERE endpoints.k IS NOT NULL
     ), wanted AS (
       SELECT k FROM endpoints WHERE k IS NOT NULL AND k <> ALL(:skip::text[])
     ), due AS (
       SELECT q.delivery_key, q.due_at FROM wanted
       CROSS JOIN LATERAL (
         SELECT delivery_key, due_at FROM delivery_queue
         WHERE endpoint = wanted.k AND due_at <= :now AND locked_by IS NULL
         ORDER BY due_at LIMIT LEAST(:perEndpoint::int, :limit::int)
         FOR UPDATE SKIP LOCKED
       ) q
       WHERE wanted.k NOT LIKE 'fifo:%' AND (wanted.k NOT LIKE 'paced:%' OR NOT EXISTS (
         SELECT 1 FROM delivery_queue x WHERE x.endpoint = wanted.k AND x.locked_by IS NOT NULL AND x.locked_by <> :worker))
       UNION ALL
       SELECT h.delivery_key, h.due_at FROM wanted
       CROSS JOIN LATERAL (
         SELECT delivery_key, due_at, locked_by FROM delivery_queue
         WHERE endpoint = wanted.k AND endpoint LIKE 'fifo:%' ORDER BY delivery_key LIMIT 1
       ) h
       WHERE wanted.k LIKE 'fifo:%' AND h.locked_by IS NULL AND h.due_at <= :now
       ORDER BY due_at, delivery_key LIMIT :limit
     )
     UPDATE delivery_queue q SET locked_by = :worker FROM due WHERE q.delivery_key = due.delivery_key AND q.locked_by IS NULL
     RETURNING q.delivery_key`,
    {
      now: request.now,
      perEndpoint: request.perEndpointLimit,
      limit: request.limit,
      skip: [...request.skipEndpoints],
      worker: request.worker,
    },
  );
  return rows.map((r) => Number(r.delivery_key));
};
