import type { Delivery as DeliveryResource, EventRecord } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import { attemptHeaders, SIGNATURE_NOT_KEPT, type Attempt, type Delivery } from "../../core/deliveries.js";
import type { StoredEvent } from "../../core/events.js";
import { USER_AGENT } from "../../version.js";

/** Wire views of events and deliveries (snake_case, RFC 3339 times). */
export function toEventResource(event: StoredEvent): EventRecord {
  return {
    id: event.id,
    type: event.type,
    ...(event.operation !== undefined ? { operation: event.operation } : {}),
    create_time: toRfc3339(event.createdAt),
    payload: event.payload,
  };
}

export function toDeliveryResource(delivery: Delivery & { attempts: Attempt[] }): DeliveryResource {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    ...(delivery.webhookId !== undefined ? { webhook_id: delivery.webhookId } : {}),
    uri: delivery.uri,
    state: delivery.state,
    attempt_count: delivery.attemptCount,
    ...(delivery.state === "pending" ? { next_attempt_time: toRfc3339(delivery.nextAttemptAt) } : {}),
    ...(delivery.lastStatusCode !== undefined ? { last_status_code: delivery.lastStatusCode } : {}),
    ...(delivery.lastError !== undefined ? { last_error: delivery.lastError } : {}),
    create_time: toRfc3339(delivery.createdAt),
    update_time: toRfc3339(delivery.updatedAt),
    attempts: delivery.attempts.map((a) => ({
      attempt_number: a.attemptNumber,
      start_time: toRfc3339(a.startedAt),
      ...(a.statusCode !== undefined ? { status_code: a.statusCode } : {}),
      latency_ms: a.latencyMs,
      ...(a.error !== undefined ? { error: a.error } : {}),
      ...(a.responseExcerpt !== undefined ? { response_excerpt: a.responseExcerpt } : {}),
      request_headers: attemptHeaders(delivery.eventId, a.startedAt, USER_AGENT, SIGNATURE_NOT_KEPT),
    })),
  };
}
