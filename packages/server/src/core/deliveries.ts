import { nextAttemptAt, parseRetryAfter, type RetryPolicy } from "./retry-schedule.js";

export type DeliveryState = "pending" | "succeeded" | "failed";

/** One event bound for one target. Lives until it succeeds or the retry window closes. */
export interface Delivery {
  id: string;
  projectId: string;
  eventId: string;
  /** Static target; absent for a dynamic (webhook_config) target. */
  webhookId?: string;
  uri: string;
  /** Deliveries that share an endpoint share a concurrency budget (see `endpointKey`). */
  endpointKey: string;
  state: DeliveryState;
  attemptCount: number;
  /** When it is due: now for a new delivery, the retry time after a failed attempt. */
  nextAttemptAt: number;
  /** Start of the 24-hour retry window: the event's creation, or the moment a failed delivery was recovered. */
  windowStartAt: number;
  createdAt: number;
  updatedAt: number;
  lastError?: string;
  lastStatusCode?: number;
}

/** A delivery engine's claim on a delivery: nobody else sends it until the lease runs out or is settled. */
export interface Lease {
  lockedBy: string;
  lockedUntil: number;
}

/** A delivery about to be inserted; one with a lease is born leased to the engine that will send it. */
export type NewDelivery = Delivery & { lease?: Lease };

/** One HTTP POST of a delivery. */
export interface Attempt {
  deliveryId: string;
  attemptNumber: number;
  startedAt: number;
  statusCode?: number;
  latencyMs: number;
  error?: string;
  responseExcerpt?: string;
  requestHeaders: Record<string, string>;
}

/** What the sender saw: a response, or a transport failure (timeout, refused, SSRF guard). */
export type SendResult =
  | { kind: "response"; statusCode: number; retryAfter?: string; body: string; latencyMs: number }
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
    if (statusCode >= 200 && statusCode < 300) return { kind: "succeeded" };
    if (statusCode === 410) return { kind: "gone" };
    const honoursRetryAfter = statusCode === 429 || statusCode === 503;
    const retryAfterMs = honoursRetryAfter ? parseRetryAfter(result.retryAfter, now) : undefined;
    const error = statusCode >= 300 && statusCode < 400 ? `HTTP ${statusCode} (redirects are not followed)` : `HTTP ${statusCode}`;
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

/** A delivery's row after an attempt: what the store writes. */
export interface DeliverySettlement {
  id: string;
  state: DeliveryState;
  attemptCount: number;
  nextAttemptAt: number;
  lastError?: string;
  lastStatusCode?: number;
}

/** Turns an attempt's verdict into the delivery's new state: pending again for a retry, else settled for good. */
export function settleDelivery(attempt: Attempt, verdict: DeliveryVerdict, now: number): DeliverySettlement {
  const base = { id: attempt.deliveryId, attemptCount: attempt.attemptNumber, lastStatusCode: attempt.statusCode };
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
