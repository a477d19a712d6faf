import { KeySetUnavailableError, WebhookVerificationError } from "../errors.js";
import type { WebhookEvent } from "../events.js";
import { getHeader, type HeadersInput } from "../verify/headers.js";
import { createVerifier, type VerifierOptions, type VerifyContext } from "../verify/index.js";
import { MemoryDedupStore, type DedupStore } from "./dedup-store.js";
import { exponentialBackoff, RetryQueue } from "./queue.js";

export interface HandlerContext {
  /** The delivery's `webhook-id`: the same for every retry and redelivery of one event. */
  webhookId: string;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number;
}

export type WebhookHandler<C extends string = string> = (
  event: WebhookEvent<C>,
  context: HandlerContext,
) => Promise<void> | void;

export interface ReceiverErrorInfo {
  /** verify: a delivery was rejected; handler: a handler failed for good; dedup: the store failed. */
  stage: "verify" | "handler" | "dedup";
  webhookId?: string;
  event?: WebhookEvent;
  attempts?: number;
}

export interface WebhookReceiverOptions<C extends string = string> {
  /**
   * `{ secret }` for static webhooks or `{ jwks, audience }` for dynamic ones, as for verifyWebhook. Without
   * `audience`, each JWT is checked against the URL its request arrived at, which the adapters pass to
   * `receive` (see the SDK README on proxies); an explicit `audience` always wins.
   */
  verify: VerifierOptions;
  handler: WebhookHandler<C>;
  /** Handlers running at once. Default 8. */
  concurrency?: number;
  /** Runs per event before giving up, counting the first. Default 5. */
  maxAttempts?: number;
  /** Delay before the next attempt, given the failed attempt's number. Default 100 ms doubling, ≤ 30 s. */
  retryDelayMs?: (attempt: number) => number;
  /** Where accepted `webhook-id`s are remembered. Default: in memory, 100 000 ids. */
  dedup?: DedupStore;
  /** How long an id is remembered. Default 24 h, Tidings' retry window. */
  dedupTtlMs?: number;
  /** Events queued or running beyond which deliveries get 503 (Tidings retries later). Default 10 000. */
  maxQueueSize?: number;
  /** Failures that have no caller to go to. Default: console.error for handler and dedup failures. */
  onError?: (error: unknown, info: ReceiverErrorInfo) => void;
}

/** A framework-neutral HTTP answer; the adapters copy it onto their response objects. */
export interface ReceiverResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /**
   * Settles when the queued handler has finished or been given up; only on 202. For runtimes that end
   * work after the response unless told (`ctx.waitUntil(done)` on Cloudflare Workers).
   */
  done?: Promise<void>;
}

export interface WebhookReceiver {
  /**
   * Verifies and queues a delivery; resolves as soon as it is queued, never after the handler. `request.url`
   * (the absolute URL it was posted to) is the JWT audience when `verify` gives none.
   */
  receive(rawBody: string | Uint8Array, headers: HeadersInput, request?: VerifyContext): Promise<ReceiverResponse>;
  /** Waits until every queued event has been handled or given up. */
  drain(): Promise<void>;
  /** Refuses new deliveries (503, so Tidings retries them elsewhere or later), then drains. */
  close(): Promise<void>;
  /** Events queued, running or waiting for a retry. */
  readonly pending: number;
}

interface QueuedEvent {
  event: WebhookEvent;
  webhookId: string;
}

const JSON_HEADERS = { "content-type": "application/json" } as const;

function json(status: number, value: unknown, extraHeaders: Record<string, string> = {}): ReceiverResponse {
  return { status, headers: { ...JSON_HEADERS, ...extraHeaders }, body: JSON.stringify(value) };
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function defaultOnError(error: unknown, info: ReceiverErrorInfo): void {
  // Rejected deliveries are the sender's concern and may be noise from scanners; failures of our own
  // handler are not, and must not vanish silently.
  if (info.stage === "verify") return;
  console.error(`[@tidings/sdk] webhook ${info.stage} failure`, info.webhookId ?? "", error);
}

export function createWebhookReceiver<C extends string = string>(options: WebhookReceiverOptions<C>): WebhookReceiver {
  const verify = createVerifier(options.verify);
  const dedup = options.dedup ?? new MemoryDedupStore();
  const dedupTtlMs = options.dedupTtlMs ?? 24 * 60 * 60 * 1000;
  const maxQueueSize = options.maxQueueSize ?? 10_000;
  const onError = options.onError ?? defaultOnError;
  const report = (error: unknown, info: ReceiverErrorInfo): void => {
    try {
      onError(error, info);
    } catch {
      // A throwing reporter must not turn into an unhandled rejection or a failed ack.
    }
  };
  let closed = false;

  const queue = new RetryQueue<QueuedEvent>({
    concurrency: options.concurrency ?? 8,
    maxAttempts: options.maxAttempts ?? 5,
    retryDelayMs: options.retryDelayMs ?? exponentialBackoff,
    worker: ({ event, webhookId }, attempt) => options.handler(event as WebhookEvent<C>, { webhookId, attempt }),
    onGiveUp: async ({ event, webhookId }, error, attempts) => {
      try {
        await dedup.release?.(webhookId);
      } catch (releaseError) {
        report(releaseError, { stage: "dedup", webhookId, event });
      }
      report(error, { stage: "handler", webhookId, event, attempts });
    },
  });

  return {
    async receive(rawBody, headers, request) {
      if (closed) {
        return json(503, errorBody("shutting_down", "receiver is shutting down"), { "retry-after": "5" });
      }
      let event: WebhookEvent;
      try {
        event = await verify(rawBody, headers, request);
      } catch (error) {
        if (error instanceof WebhookVerificationError) {
          report(error, { stage: "verify" });
          // An unreachable JWKS is ours to fix; 503 keeps the delivery alive at the sender.
          const status = error instanceof KeySetUnavailableError ? 503 : 400;
          return json(status, errorBody(error.code, error.message));
        }
        throw error;
      }
      // Present: both schemes fail verification without it.
      const webhookId = getHeader(headers, "webhook-id")!;

      if (queue.size >= maxQueueSize) {
        return json(503, errorBody("queue_full", "too many events in flight; retry later"), { "retry-after": "5" });
      }
      let first: boolean;
      try {
        first = await dedup.claim(webhookId, dedupTtlMs);
      } catch (error) {
        report(error, { stage: "dedup", webhookId, event });
        return json(503, errorBody("dedup_unavailable", "could not record the delivery; retry later"));
      }
      if (!first) return json(200, { status: "duplicate" });

      const done = queue.push({ event, webhookId });
      return { ...json(202, { status: "accepted" }), done };
    },
    drain: () => queue.drain(),
    async close() {
      closed = true;
      await queue.drain();
    },
    get pending() {
      return queue.size;
    },
  };
}
