import { nextAttemptAt, parseRetryAfter, type RetryPolicy } from "./retry-schedule.js";

export type DeliveryState = "pending" | "succeeded" | "failed";

/** One event bound for one target. Lives until it succeeds or the retry window closes. */
export interface Delivery {
  /** Given by the store (core/ids.ts: deliveryId). */
  id: string;
  projectId: string;
  eventId: string;
  /** Static target; absent for a dynamic (webhook_config) target. */
  webhookId?: string;
  /** Where it goes: the dynamic URI, or the static webhook's URI. */
  uri: string;
  /** Deliveries that share an endpoint share a concurrency budget (see `endpointKey`). */
  endpointKey: string;
  state: DeliveryState;
  attemptCount: number;
  /** When it is due while pending: now for a new delivery, the retry time after a failed attempt. */
  nextAttemptAt: number;
  /** Start of the 24-hour retry window: the event's creation, or the moment a failed delivery was recovered. */
  windowStartAt: number;
  createdAt: number;
  /** The last attempt's start, or the creation before any. */
  updatedAt: number;
  lastError?: string;
  lastStatusCode?: number;
  /** The last attempt's latency: a success is recorded on the delivery itself, with no attempt row. */
  lastLatencyMs?: number;
}

/**
 * The engine a delivery is born leased to: it goes straight to that engine without a claim, and no other
 * engine sends it while that engine's process is alive (docs/store.md: leases and failover).
 */
export interface Lease {
  worker: number;
}

/** A delivery about to be written: an event bound for a target. The store gives it its id. */
export interface PlannedDelivery {
  eventId: string;
  projectId: string;
  webhookId?: string;
  uri: string;
  endpointKey: string;
  windowStartAt: number;
  createdAt: number;
}

/** One HTTP POST of a delivery. */
export interface Attempt {
  deliveryId: string;
  attemptNumber: number;
  startedAt: number;
  statusCode?: number;
  latencyMs: number;
  error?: string;
  responseExcerpt?: string;
}

/** 2xx: what counts as success (the status decides; the body is kept for the record only). */
export function isSuccess(statusCode: number | undefined): boolean {
  return statusCode !== undefined && statusCode >= 200 && statusCode < 300;
}

/**
 * What the sender saw: a response, or a transport failure (timeout, refused, SSRF guard). `body` is the start of
 * a failure's response body; a success's is drained unread, since a success keeps no excerpt.
 */
export type SendResult =
  | { kind: "response"; statusCode: number; retryAfter?: string; body?: string; latencyMs: number }
  | { kind: "error"; error: string; latencyMs: number };

/** What the engine does next with a delivery after one attempt. */
export type DeliveryVerdict =
  | { kind: "succeeded" }
  | { kind: "retry"; at: number; error: string }
  | { kind: "failed"; error: string }
  /** 410 Gone: the receiver asks never to be called again. */
  | { kind: "gone" };

export function judgeAttempt(
  result: SendResult,
  delivery: Pick<Delivery, "attemptCount" | "windowStartAt">,
  policy: RetryPolicy,
  now: number,
): DeliveryVerdict {
  if (result.kind === "response") {
    const { statusCode } = result;
    if (isSuccess(statusCode)) return { kind: "succeeded" };
    if (statusCode === 410) return { kind: "gone" };
    const honoursRetryAfter = statusCode === 429 || statusCode === 503;
    const retryAfterMs = honoursRetryAfter ? parseRetryAfter(result.retryAfter, now) : undefined;
    const error =
      statusCode >= 300 && statusCode < 400 ? `HTTP ${statusCode} (redirects are not followed)` : `HTTP ${statusCode}`;
    return schedule(policy, delivery, now, error, retryAfterMs);
  }
  return schedule(policy, delivery, now, result.error);
}

function schedule(
  policy: RetryPolicy,
  delivery: Pick<Delivery, "attemptCount" | "windowStartAt">,
  now: number,
  error: string,
  retryAfterMs?: number,
): DeliveryVerdict {
  const at = nextAttemptAt(policy, delivery.attemptCount + 1, delivery.windowStartAt, now, retryAfterMs);
  return at === undefined ? { kind: "failed", error } : { kind: "retry", at, error };
}

/**
 * A delivery's row after an attempt: what the store writes. A retry goes back to the queue, due at
 * `nextAttemptAt`, for any engine; a delivery that ends leaves it.
 */
export interface DeliverySettlement {
  id: string;
  endpointKey: string;
  state: DeliveryState;
  attemptCount: number;
  nextAttemptAt: number;
  attemptedAt: number;
  lastError?: string;
  lastStatusCode?: number;
  lastLatencyMs: number;
}

/** Turns an attempt's verdict into the delivery's new state: pending again for a retry, else settled for good. */
export function settleDelivery(
  delivery: Pick<Delivery, "endpointKey">,
  attempt: Attempt,
  verdict: DeliveryVerdict,
  now: number,
): DeliverySettlement {
  const base = {
    id: attempt.deliveryId,
    endpointKey: delivery.endpointKey,
    attemptCount: attempt.attemptNumber,
    attemptedAt: attempt.startedAt,
    lastStatusCode: attempt.statusCode,
    lastLatencyMs: attempt.latencyMs,
  };
  switch (verdict.kind) {
    case "succeeded":
      return { ...base, state: "succeeded", nextAttemptAt: now };
    case "retry":
      return { ...base, state: "pending", nextAttemptAt: verdict.at, lastError: verdict.error };
    case "failed":
      return { ...base, state: "failed", nextAttemptAt: now, lastError: verdict.error };
    case "gone":
      return { ...base, state: "failed", nextAttemptAt: now, lastError: "HTTP 410 Gone" };
  }
}

/**
 * The attempts that get a row of their own: the failures. A success is on its delivery's row (status,
 * latency, time), which is all the record a 2xx needs, and the most common write by far.
 */
export function attemptsToKeep(attempts: readonly Attempt[]): Attempt[] {
  return attempts.filter((a) => !isSuccess(a.statusCode));
}

/**
 * The headers of an attempt made at `startedAt` (docs/wire.md: the event). They are not stored with the
 * attempt: all but the signature follow from the event and the time, and a signature is only shown elided.
 * Without `signature`, the sender adds it as the request goes out.
 */
export function attemptHeaders(
  eventId: string,
  startedAt: number,
  userAgent: string,
  signature?: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": userAgent,
    "webhook-id": eventId,
    "webhook-timestamp": String(Math.floor(startedAt / 1000)),
  };
  if (signature !== undefined) headers["webhook-signature"] = signature;
  return headers;
}

/** What an attempt's record shows for its signature, which is not kept. */
export const SIGNATURE_NOT_KEPT = "(not kept: a signature over the webhook-id, the timestamp and the body)";
