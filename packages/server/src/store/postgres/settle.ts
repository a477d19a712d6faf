import { parseDeliveryId } from "../../core/ids.js";
import { toWebhook, type WebhookRow } from "../rows.js";
import { ms } from "../sql/db.js";
import { lastByKey, type SettleRound, SUCCESS_RECORDED_EVERY_MS } from "../sql/deliveries.js";
import { TALLY_COLUMNS, tallyValues } from "../tally-columns.js";

/**
 * A round of outcomes in one statement, so one round trip and no BEGIN/COMMIT: the writes settleInSteps makes one
 * by one, as the parts of a data-modifying WITH, which PostgreSQL runs as one atomic statement. Five round trips a
 * round became one, whatever the number of processes sharing the load (docs/store.md: PostgreSQL, round trips).
 *
 * - `settled`: only deliveries still pending change (a late outcome of one that ended meanwhile is left alone);
 * - `requeued`: the retries among those that changed go back to the queue, due at their next attempt;
 * - `dequeued`: a delivery that ended leaves the queue, if it was there (claimed, or queued again while its engine
 *   seemed dead);
 * - `kept`, `tallied`, `failures`: the attempts kept, the per-minute tallies, each webhook's latest failure;
 * - `succeeded`: a webhook's last success, written only when the stored one is a second old, its rows locked in id
 *   order so that concurrent rounds never wait on each other in a cycle;
 * - the SELECT: the webhooks at risk, as the statement found them (before its own writes), for the disable rule.
 */
export const postgresSettle: SettleRound = async (db, round, now) => {
  const settlements = lastByKey(round.settlements, (s) => s.id);
  const attempts = lastByKey(round.keptAttempts, (a) => `${a.deliveryId}.${a.attemptNumber}`);
  const minuteValues = round.minutes.map(tallyValues);
  const rows = await db.all<WebhookRow>(
    `WITH outcome AS (
       SELECT * FROM UNNEST(:keys::bigint[], :states::text[], :attemptCounts::int[], :attemptedAt::bigint[],
         :statusCodes::int[], :latencies::float8[], :errors::text[], :endpoints::text[], :dueAt::bigint[])
         AS v(key, state, attempt_count, attempted_at, status_code, latency_ms, error, endpoint, due_at)
     ), settled AS (
       UPDATE deliveries d SET state = v.state, attempt_count = v.attempt_count, last_attempt_at = v.attempted_at,
         last_status_code = v.status_code, last_latency_ms = v.latency_ms, last_error = v.error, locked_by = NULL
       FROM outcome v WHERE d.key = v.key AND d.state = 'pending'
       RETURNING d.key
     ), requeued AS (
       INSERT INTO delivery_queue (delivery_key, endpoint, due_at, locked_by)
       SELECT v.key, v.endpoint, v.due_at, NULL FROM outcome v JOIN settled s ON s.key = v.key WHERE v.state = 'pending'
       ON CONFLICT (delivery_key) DO UPDATE SET due_at = excluded.due_at, locked_by = NULL
     ), dequeued AS (
       DELETE FROM delivery_queue q USING outcome v WHERE q.delivery_key = v.key AND v.state <> 'pending'
     ), kept AS (
       INSERT INTO attempts (delivery_key, attempt_number, started_at, status_code, latency_ms, error, response_excerpt)
       SELECT * FROM UNNEST(:attemptKeys::bigint[], :attemptNumbers::int[], :startedAt::bigint[],
         :attemptStatusCodes::int[], :attemptLatencies::float8[], :attemptErrors::text[], :excerpts::text[])
       ON CONFLICT (delivery_key, attempt_number) DO UPDATE SET started_at = excluded.started_at,
         status_code = excluded.status_code, latency_ms = excluded.latency_ms, error = excluded.error,
         response_excerpt = excluded.response_excerpt
     ), tallied AS (
       INSERT INTO attempt_minutes (project_id, webhook_key, minute, ${TALLY_COLUMNS.join(", ")})
       SELECT * FROM UNNEST(:minuteProjects::text[], :minuteWebhooks::text[], :minutes::bigint[],
         ${TALLY_COLUMNS.map((c) => `:tally_${c}::int[]`).join(", ")})
       ON CONFLICT (project_id, webhook_key, minute) DO UPDATE SET
         ${TALLY_COLUMNS.map((c) => `${c} = attempt_minutes.${c} + excluded.${c}`).join(", ")}
     ), failures AS (
       INSERT INTO webhook_last_errors (webhook_id, project_id, delivery_id, error, at)
       SELECT * FROM UNNEST(:failedWebhooks::text[], :failedProjects::text[], :failedDeliveries::text[],
         :failedErrors::text[], :failedAt::bigint[])
       ON CONFLICT (webhook_id) DO UPDATE SET project_id = excluded.project_id, delivery_id = excluded.delivery_id,
         error = excluded.error, at = excluded.at WHERE webhook_last_errors.at <= excluded.at
     ), succeeded AS (
       UPDATE webhooks SET last_success_at = :now WHERE id IN (
         SELECT id FROM webhooks WHERE id = ANY(:succeededWebhooks::text[])
           AND (last_success_at IS NULL OR last_success_at <= :stale) ORDER BY id FOR UPDATE)
     )
     SELECT * FROM webhooks WHERE id = ANY(:atRisk::text[]) AND state = 'enabled'`,
    {
      keys: settlements.map((s) => parseDeliveryId(s.id)),
      states: settlements.map((s) => s.state),
      attemptCounts: settlements.map((s) => s.attemptCount),
      attemptedAt: settlements.map((s) => ms(s.attemptedAt)),
      statusCodes: settlements.map((s) => s.lastStatusCode ?? null),
      latencies: settlements.map((s) => s.lastLatencyMs),
      errors: settlements.map((s) => s.lastError ?? null),
      endpoints: settlements.map((s) => s.endpointKey),
      dueAt: settlements.map((s) => ms(s.nextAttemptAt)),
      attemptKeys: attempts.map((a) => parseDeliveryId(a.deliveryId)),
      attemptNumbers: attempts.map((a) => a.attemptNumber),
      startedAt: attempts.map((a) => ms(a.startedAt)),
      attemptStatusCodes: attempts.map((a) => a.statusCode ?? null),
      attemptLatencies: attempts.map((a) => a.latencyMs),
      attemptErrors: attempts.map((a) => a.error ?? null),
      excerpts: attempts.map((a) => a.responseExcerpt ?? null),
      minuteProjects: round.minutes.map((m) => m.projectId),
      minuteWebhooks: round.minutes.map((m) => m.webhookKey),
      minutes: round.minutes.map((m) => m.minute),
      ...Object.fromEntries(
        TALLY_COLUMNS.map((c, i) => [`tally_${c}`, minuteValues.map((values) => values[i] as number)]),
      ),
      failedWebhooks: round.lastFailures.map((f) => f.webhookId),
      failedProjects: round.lastFailures.map((f) => f.projectId),
      failedDeliveries: round.lastFailures.map((f) => f.deliveryId),
      failedErrors: round.lastFailures.map((f) => f.error),
      failedAt: round.lastFailures.map((f) => ms(f.at)),
      now,
      stale: now - SUCCESS_RECORDED_EVERY_MS,
      succeededWebhooks: [...round.webhooksSucceeded],
      atRisk: [...round.webhooksAtRisk],
    },
  );
  return rows.map(toWebhook);
};
