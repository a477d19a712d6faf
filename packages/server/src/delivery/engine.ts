import type { Logger } from "pino";
import type { Metrics } from "../metrics.js";
import { WakeableLoop } from "../workers/wakeable-loop.js";
import type { Clock } from "../core/clock.js";
import { judgeAttempt, type Attempt } from "../core/deliveries.js";
import type { RetryPolicy } from "../core/retry-schedule.js";
import type { AttemptOutcome, ClaimedDelivery, Store, WebhookToDisable } from "../store/store.js";
import type { OutgoingRequest } from "./sender.js";
import type { SendResult } from "../core/deliveries.js";

export interface Sender {
  send(req: OutgoingRequest): Promise<SendResult>;
}

/** Builds the headers of one attempt (static HMAC or dynamic JWT). */
export type HeaderBuilder = (delivery: ClaimedDelivery, timestampSeconds: number) => Promise<Record<string, string>>;

export interface EngineOptions {
  /** Attempts in flight at once per endpoint: one slow endpoint can hold only this many. */
  perEndpointConcurrency: number;
  /** Claimed deliveries held in memory per endpoint; endpoints at this depth are skipped when claiming. */
  perEndpointQueue: number;
  /** Claimed deliveries held in memory in all. */
  maxQueued: number;
  /** How long a claim lasts before another process (or this one after a crash) may take the delivery. */
  leaseMs: number;
  /** Longest sleep between looks at the queue when nothing wakes the engine. */
  idlePollMs: number;
}

/**
 * The lease must outlast a delivery's wait in its endpoint's queue, or a slow endpoint's backlog would be
 * claimed twice: 64 queued / 16 at a time × a 10 s timeout = 40 s, well inside 120 s.
 */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  perEndpointConcurrency: 16,
  perEndpointQueue: 64,
  maxQueued: 4096,
  leaseMs: 120_000,
  idlePollMs: 5_000,
};

const FLUSH_WINDOW_MS = 5;
const FLUSH_MAX_OUTCOMES = 256;

interface Endpoint {
  queue: ClaimedDelivery[];
  inFlight: number;
}

/**
 * The delivery loop. It claims due deliveries in batches when woken (a commit, a timer at the next due
 * time), sends them with per-endpoint concurrency so a dead endpoint only ever blocks itself, and records
 * outcomes in batched transactions. Nothing is settled before its attempt is written: a crash re-sends.
 */
export class DeliveryEngine {
  private readonly endpoints = new Map<string, Endpoint>();
  private queued = 0;
  private pending: AttemptOutcome[] = [];
  private flushing: Promise<void> | undefined;
  private readonly loop: WakeableLoop;
  private readonly idle = new Set<() => void>();
  /** Ids queued or in flight here. */
  private readonly held = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly sender: Sender,
    private readonly buildHeaders: HeaderBuilder,
    private readonly policy: RetryPolicy,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onDisable: (webhooks: WebhookToDisable[]) => Promise<void>,
    private readonly metrics: Metrics,
    private readonly options: EngineOptions = DEFAULT_ENGINE_OPTIONS,
  ) {
    this.loop = new WakeableLoop(() => this.round(), (err) => log.error({ err }, "delivery engine failed to claim; retrying shortly"));
    metrics.gauge("tidings_deliveries_queued", () => this.queued);
    metrics.gauge("tidings_deliveries_in_flight", () => [...this.endpoints.values()].reduce((n, e) => n + e.inFlight, 0));
  }

  start(): void {
    this.loop.start();
  }

  /** Until when a delivery born leased to this engine now is its to send; undefined when it is not running. */
  leaseUntil(): number | undefined {
    return this.loop.isRunning ? this.clock.now() + this.options.leaseMs : undefined;
  }

  /** Takes deliveries born leased to this engine (see `leaseUntil`) and sends them without claiming. */
  adopt(deliveries: readonly ClaimedDelivery[]): void {
    for (const delivery of deliveries) this.enqueue(delivery);
  }

  /** Something may be due now: look at the queue soon. Cheap to call on every commit. */
  wake(): void {
    this.loop.wake();
  }

  /** Stops claiming, lets attempts in flight finish and writes their outcomes. */
  async stop(): Promise<void> {
    this.loop.stop();
    // Claimed but unstarted deliveries keep their lease; it runs out (or is released at the next start).
    for (const [key, endpoint] of this.endpoints) {
      for (const delivery of endpoint.queue) this.held.delete(delivery.id);
      this.queued -= endpoint.queue.length;
      endpoint.queue = [];
      if (endpoint.inFlight === 0) this.endpoints.delete(key);
    }
    const inFlight = () => [...this.endpoints.values()].reduce((n, e) => n + e.inFlight, 0);
    if (inFlight() > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
    await this.flush();
  }

  /** Claims what there is room for, then sleeps until the next delivery is due. */
  private async round(): Promise<number> {
    this.metrics.countClaimRound();
    const claimedAt = await this.claimWhileRoom();
    const next = await this.store.nextDueAt();
    if (next === undefined) return this.options.idlePollMs;
    // Due when we last claimed and still not taken: it belongs to an endpoint (or an engine) with no room.
    // Looking again at once would spin; an attempt finishing wakes the engine when there is room.
    if (claimedAt === undefined || next <= claimedAt) return this.options.idlePollMs;
    return Math.min(Math.max(next - this.clock.now(), 0), this.options.idlePollMs);
  }

  /** Claims until nothing more fits or nothing more is due; returns the time of the last claim, if any. */
  private async claimWhileRoom(): Promise<number | undefined> {
    let claimedAt: number | undefined;
    while (this.loop.isRunning) {
      const room = this.options.maxQueued - this.queued;
      if (room <= 0) return claimedAt;
      const full = [...this.endpoints].filter(([, e]) => e.queue.length + e.inFlight >= this.options.perEndpointQueue).map(([k]) => k);
      claimedAt = this.clock.now();
      const limit = Math.min(room, 512);
      const claimed = await this.store.claimDueDeliveries(claimedAt, claimedAt + this.options.leaseMs, limit, full, this.options.perEndpointQueue);
      for (const delivery of claimed) this.enqueue(delivery);
      if (claimed.length < limit) return claimedAt;
    }
    return claimedAt;
  }

  private enqueue(delivery: ClaimedDelivery): void {
    // A lease that ran out while the delivery waited here lets a claim return it again: hold it once.
    if (this.held.has(delivery.id)) return;
    this.held.add(delivery.id);
    let endpoint = this.endpoints.get(delivery.endpointKey);
    if (endpoint === undefined) {
      endpoint = { queue: [], inFlight: 0 };
      this.endpoints.set(delivery.endpointKey, endpoint);
    }
    endpoint.queue.push(delivery);
    this.queued++;
    this.drain(delivery.endpointKey, endpoint);
  }

  private drain(key: string, endpoint: Endpoint): void {
    while (endpoint.inFlight < this.options.perEndpointConcurrency && endpoint.queue.length > 0) {
      const delivery = endpoint.queue.shift() as ClaimedDelivery;
      endpoint.inFlight++;
      void this.attempt(delivery).finally(() => {
        this.held.delete(delivery.id);
        endpoint.inFlight--;
        this.queued--;
        if (endpoint.inFlight === 0 && endpoint.queue.length === 0) this.endpoints.delete(key);
        if (this.loop.isRunning) this.drain(key, endpoint);
        if (this.endpoints.size === 0) for (const resolve of this.idle) resolve();
        this.wake();
      });
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = this.clock.now();
    let requestHeaders: Record<string, string> = {};
    let result: SendResult;
    try {
      requestHeaders = await this.buildHeaders(delivery, Math.floor(startedAt / 1000));
      result = await this.sender.send({ uri: delivery.uri, headers: requestHeaders, body: delivery.body });
    } catch (err) {
      // A signing failure is our bug, not the receiver's: record it and retry like any other failure.
      result = { kind: "error", error: `could not sign: ${(err as Error).message}`, latencyMs: 0 };
    }
    const now = this.clock.now();
    const attempt: Attempt = {
      deliveryId: delivery.id,
      attemptNumber: delivery.attemptCount + 1,
      startedAt,
      latencyMs: result.latencyMs,
      requestHeaders,
      ...(result.kind === "response"
        ? { statusCode: result.statusCode, responseExcerpt: result.body }
        : { error: result.error }),
    };
    const verdict = judgeAttempt(result, delivery, this.policy, now);
    this.metrics.countAttempt(verdict.kind, result.latencyMs);
    this.pending.push({ delivery, attempt, verdict });
    void this.flushSoon();
  }

  /**
   * Coalesces outcomes into one transaction per few milliseconds. Off the latency path (the receiver already
   * has the request); a crash in the window only re-sends those deliveries, with the same webhook-id.
   */
  private flushSoon(): Promise<void> {
    if (this.pending.length >= FLUSH_MAX_OUTCOMES) return this.flush();
    if (this.flushing === undefined) {
      this.flushing = new Promise<void>((resolve) => setTimeout(resolve, FLUSH_WINDOW_MS)).then(() => this.flush());
    }
    return this.flushing;
  }

  private async flush(): Promise<void> {
    this.flushing = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    try {
      const toDisable = await this.store.recordAttempts(batch, this.clock.now(), this.policy.windowMs);
      if (toDisable.length > 0) await this.onDisable(toDisable);
    } catch (err) {
      // The leases stay: these deliveries come due again and are re-sent with the same webhook-id.
      this.log.error({ err, count: batch.length }, "failed to record delivery attempts");
    }
    // Retries may now be due sooner than the engine's timer thinks.
    this.wake();
  }
}
