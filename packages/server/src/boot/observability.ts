import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { Attempt, DeliveryVerdict } from "../core/deliveries.js";
import type { Metrics } from "../observability/metrics.js";
import { boundedMemo } from "../runtime/bounded-memo.js";
import type { StateChange } from "../services/state-changes.js";
import type { ClaimedDelivery, Store } from "../store/store.js";

/**
 * The /metrics gauges that need the database, read at scrape time. Each is one indexed query (partial
 * indexes on pending deliveries and unfinished operations; webhooks are few); all labels are bounded.
 */
export function registerStoreGauges(metrics: Metrics, store: Store, clock: Clock): void {
  let backlog: Promise<{ pending: number; oldestCreatedAt?: number }> | undefined;
  // Both backlog gauges come from one query per scrape.
  const readBacklog = () =>
    (backlog ??= store.stats.backlog().finally(() => setImmediate(() => (backlog = undefined))));
  metrics.gauge(
    "tidings_deliveries_pending",
    "Deliveries waiting to be sent or retried, in every process.",
    async () => (await readBacklog()).pending,
  );
  metrics.gauge(
    "tidings_deliveries_oldest_pending_age_seconds",
    "Age of the oldest delivery still pending (0 when none is).",
    async () => {
      const { oldestCreatedAt } = await readBacklog();
      return oldestCreatedAt === undefined ? 0 : Math.max(0, (clock.now() - oldestCreatedAt) / 1000);
    },
  );
  metrics.labelledGauge("tidings_webhooks", "Webhooks by state.", ["state"], async () =>
    (await store.stats.webhookStates()).map(({ state, count }) => ({ labels: { state }, value: count })),
  );
  metrics.labelledGauge(
    "tidings_operations_unfinished",
    "Operations and interactions not yet done, by kind and state (ended ones are counted by tidings_state_changes_total).",
    ["kind", "state"],
    async () =>
      (await store.stats.unfinishedOperations()).map(({ kind, state, count }) => ({
        labels: { kind, state },
        value: count,
      })),
  );
  metrics.labelledGauge("tidings_batch_lines", "Lines of the batches not yet done, by state.", ["state"], async () =>
    (await store.stats.unfinishedBatchLines()).map(({ state, count }) => ({ labels: { state }, value: count })),
  );
}

/** Counts state changes on /metrics (the services log them). */
export function countStateChanges(metrics: Metrics): (change: StateChange) => void {
  return (change) => metrics.stateChanges.inc({ resource: change.resource, kind: change.kind, state: change.state });
}

/**
 * One log line per attempt, and the deliveries an attempt ended. The line names the delivery, the event
 * (its webhook-id), the webhook and the endpoint's origin: never the URI's path or query, which may carry a
 * token, nor the request's headers, which carry the signature.
 */
export function reportAttempt(
  log: Logger,
  metrics: Metrics,
): (delivery: ClaimedDelivery, attempt: Attempt, verdict: DeliveryVerdict) => void {
  // Parsing a URL per attempt cost ~1 % of the CPU per event (issue 16): the origins attempted lately are kept.
  const origin = boundedMemo(ORIGINS_KEPT, parseOrigin);
  return (delivery, attempt, verdict) => {
    if (verdict.kind === "succeeded") metrics.deliveries.inc({ outcome: "succeeded" });
    else if (verdict.kind === "failed" || verdict.kind === "gone") metrics.deliveries.inc({ outcome: "failed" });
    const line = {
      delivery: delivery.id,
      event: delivery.eventId,
      ...(delivery.webhookId !== undefined ? { webhook: delivery.webhookId } : {}),
      endpoint: origin(delivery.uri),
      attempt: attempt.attemptNumber,
      outcome: verdict.kind,
      ...(attempt.statusCode !== undefined ? { status_code: attempt.statusCode } : {}),
      latency_ms: Math.round(attempt.latencyMs * 10) / 10,
      ...(verdict.kind === "retry" ? { next_attempt_at: new Date(verdict.at).toISOString() } : {}),
      ...(verdict.kind === "retry" || verdict.kind === "failed" ? { error: verdict.error } : {}),
    };
    if (verdict.kind === "succeeded") log.info(line, "delivery attempt succeeded");
    else
      log.warn(
        line,
        `delivery attempt ${verdict.kind === "retry" ? "failed, will retry" : verdict.kind === "gone" ? "answered 410 Gone" : "failed for good"}`,
      );
  };
}

const ORIGINS_KEPT = 4096;

function parseOrigin(uri: string): string {
  try {
    return new URL(uri).origin;
  } catch {
    return "(invalid)";
  }
}
