import type { Clock, Timer } from "../core/clock.js";
import { judgeAttempt, settleDelivery, type Attempt, type DeliveryVerdict, type Lease, type SendResult } from "../core/deliveries.js";
import type { RetryPolicy } from "../core/retry-schedule.js";
import { webhooksAtRisk, webhooksToDisable, type WebhookToDisable } from "../core/webhooks.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";
import type { DeliveryDispatch } from "../services/outbox.js";
import type { ClaimedDelivery, Store } from "../store/store.js";
import type { OutgoingRequest } from "./sender.js";

export interface Sender {
  send(req: OutgoingRequest): Promise<SendResult>;
}

/** Builds the headers of one attempt (static HMAC or dynamic JWT) made at `attemptAt` (ms). */
export type HeaderBuilder = (delivery: ClaimedDelivery, attemptAt: number) => Promise<Record<string, string>>;

/** What the engine reports, for /metrics and the log. */
export interface EngineObserver {
  attempt(verdict: DeliveryVerdict["kind"], latencyMs: number): void;
  /** The same attempt in full, for its log line. */
  attempted?(delivery: ClaimedDelivery, attempt: Attempt, verdict: DeliveryVerdict): void;
  claimRound(): void;
  /** A claim or a write of outcomes failed; the engine carries on (the leases make it safe). */
  error(err: unknown, what: string): void;
}

export interface EngineDeps {
  store: Store;
  sender: Sender;
  buildHeaders: HeaderBuilder;
  policy: RetryPolicy;
  clock: Clock;
  /** Names this engine's leases in the store. */
  workerId: string;
  /** Disables webhooks the outcomes condemned (a 410, or 24 h of failures). */
  onDisable: (webhooks: WebhookToDisable[]) => Promise<void>;
  observer: EngineObserver;
}

export interface EngineOptions {
  /** Attempts in flight at once per endpoint: one slow endpoint can hold only this many. */
  perEndpointConcurrency: number;
  /**
   * Deliveries held in memory per endpoint (queued and in flight) while its answers are slow or unknown;
   * endpoints at their depth are skipped when claiming. A fast endpoint may hold more (see `depthLimit`).
   */
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
 * claimed twice: 64 held / 16 at a time × a 10 s timeout = 40 s, well inside 120 s. A fast endpoint may
 * hold more, as long as its measured latency says they are sent within half a lease.
 */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  perEndpointConcurrency: 16,
  perEndpointQueue: 64,
  maxQueued: 4096,
  leaseMs: 120_000,
  idlePollMs: 5_000,
};

export const FLUSH_WINDOW_MS = 20;
const FLUSH_MAX_OUTCOMES = 256;
const CLAIM_LIMIT = 512;
/** Endpoints whose latency is remembered: enough for every active one; the oldest are forgotten first. */
const LATENCIES_KEPT = 10_000;

interface Endpoint {
  queue: ClaimedDelivery[];
  inFlight: number;
}

interface Outcome {
  delivery: ClaimedDelivery;
  attempt: Attempt;
  verdict: DeliveryVerdict;
}

/**
 * The delivery loop. It claims due deliveries in batches when woken (a commit, a timer at the next due
 * time), takes deliveries born leased to it straight from the outbox, sends them with per-endpoint
 * concurrency so a dead endpoint only ever blocks itself, and records outcomes in batched transactions.
 * Nothing is settled before its attempt is written: a crash re-sends, with the same webhook-id.
 */
export class DeliveryEngine implements DeliveryDispatch {
  private readonly endpoints = new Map<string, Endpoint>();
  private queued = 0;
  private pending: Outcome[] = [];
  private flushTimer: Timer | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly loop: WakeableLoop;
  private idle: (() => void) | undefined;
  /** Ids queued or in flight here: a lease that ran out while one waited must not bring it in twice. */
  private readonly held = new Set<string>();
  /** Each endpoint's recent attempt latency (moving average), which decides how many it may hold. */
  private readonly latency = new Map<string, number>();
  /** Endpoints with due deliveries left in the store because they had no room: an attempt ending there wakes the claim loop. */
  private readonly backlogged = new Set<string>();
  /** The last claim stopped because the engine as a whole had no room. */
  private roomExhausted = false;

  constructor(
    private readonly deps: EngineDeps,
    private readonly options: EngineOptions = DEFAULT_ENGINE_OPTIONS,
  ) {
    this.loop = new WakeableLoop(
      deps.clock,
      () => this.round(),
      (err) => deps.observer.error(err, "claim due deliveries"),
    );
  }

  get queuedCount(): number {
    return this.queued;
  }

  get inFlightCount(): number {
    let n = 0;
    for (const endpoint of this.endpoints.values()) n += endpoint.inFlight;
    return n;
  }

  start(): void {
    this.loop.start();
  }

  lease(): Lease | undefined {
    return this.loop.isRunning ? { lockedBy: this.deps.workerId, lockedUntil: this.deps.clock.now() + this.options.leaseMs } : undefined;
  }

  /**
   * Takes deliveries born leased to this engine. Those whose endpoint (or the engine) has no room are handed
   * back to the queue at once, so a dead endpoint's backlog waits in the store, not in memory.
   */
  adopt(deliveries: readonly ClaimedDelivery[]): void {
    const refused: string[] = [];
    for (const delivery of deliveries) {
      if (this.hasRoomFor(delivery.endpointKey)) {
        this.enqueue(delivery);
      } else {
        refused.push(delivery.id);
        this.backlogged.add(delivery.endpointKey);
      }
    }
    if (refused.length > 0) this.release(refused);
  }

  wake(): void {
    this.loop.wake();
  }

  /**
   * Stops claiming, hands back the leases of deliveries it holds but has not started (another engine, or
   * this one's next start, sends them at once), lets attempts in flight finish and writes their outcomes.
   */
  async stop(): Promise<void> {
    this.loop.stop();
    const unstarted: string[] = [];
    for (const [key, endpoint] of this.endpoints) {
      for (const delivery of endpoint.queue) {
        this.held.delete(delivery.id);
        unstarted.push(delivery.id);
      }
      this.queued -= endpoint.queue.length;
      endpoint.queue = [];
      if (endpoint.inFlight === 0) this.endpoints.delete(key);
    }
    if (this.endpoints.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.flush();
    await this.deps.store.deliveries
      .release(unstarted, this.deps.workerId)
      .catch((err: unknown) => this.deps.observer.error(err, "hand back unsent deliveries"));
  }

  /** Claims what there is room for, then sleeps until the next delivery is due. */
  private async round(): Promise<number> {
    this.deps.observer.claimRound();
    const claimedAt = await this.claimWhileRoom();
    const next = await this.deps.store.deliveries.nextDueAt();
    if (next === undefined) return this.options.idlePollMs;
    // Due when we last claimed and still not taken: it belongs to an endpoint (or an engine) with no room.
    // Looking again at once would spin; an attempt finishing wakes the engine when there is room.
    if (claimedAt === undefined || next <= claimedAt) return this.options.idlePollMs;
    return Math.min(Math.max(next - this.deps.clock.now(), 0), this.options.idlePollMs);
  }

  /** Claims until nothing more fits or nothing more is due; returns the time of the last claim, if any. */
  private async claimWhileRoom(): Promise<number | undefined> {
    let claimedAt: number | undefined;
    this.backlogged.clear();
    this.roomExhausted = false;
    while (this.loop.isRunning) {
      const room = this.options.maxQueued - this.queued;
      if (room <= 0) {
        this.roomExhausted = true;
        return claimedAt;
      }
      const skipEndpoints = [...this.endpoints.keys()].filter((key) => !this.hasRoomFor(key));
      for (const key of skipEndpoints) this.backlogged.add(key);
      claimedAt = this.deps.clock.now();
      const limit = Math.min(room, CLAIM_LIMIT);
      const perEndpointLimit = this.options.perEndpointQueue;
      const claimed = await this.deps.store.deliveries.claim({
        now: claimedAt,
        lockedUntil: claimedAt + this.options.leaseMs,
        lockedBy: this.deps.workerId,
        limit,
        skipEndpoints,
        perEndpointLimit,
      });
      const perEndpoint = new Map<string, number>();
      for (const delivery of claimed) {
        this.enqueue(delivery);
        const taken = (perEndpoint.get(delivery.endpointKey) ?? 0) + 1;
        perEndpoint.set(delivery.endpointKey, taken);
        if (taken >= perEndpointLimit) this.backlogged.add(delivery.endpointKey);
      }
      if (claimed.length < limit) return claimedAt;
    }
    return claimedAt;
  }

  private hasRoomFor(endpointKey: string): boolean {
    const endpoint = this.endpoints.get(endpointKey);
    const depth = endpoint === undefined ? 0 : endpoint.queue.length + endpoint.inFlight;
    return this.queued < this.options.maxQueued && depth < this.depthLimit(endpointKey);
  }

  /**
   * How many deliveries an endpoint may hold: as many as it answers within half a lease at its measured
   * latency, so none outlives its lease while queued; `perEndpointQueue` while its latency is unknown or slow.
   */
  private depthLimit(endpointKey: string): number {
    const latency = this.latency.get(endpointKey);
    if (latency === undefined) return this.options.perEndpointQueue;
    const sendable = Math.floor((this.options.perEndpointConcurrency * (this.options.leaseMs / 2)) / Math.max(latency, 1));
    return Math.min(Math.max(sendable, this.options.perEndpointQueue), this.options.maxQueued);
  }

  private observeLatency(endpointKey: string, latencyMs: number): void {
    const previous = this.latency.get(endpointKey);
    // Re-inserted, so the map's order is least recently used first.
    this.latency.delete(endpointKey);
    this.latency.set(endpointKey, previous === undefined ? latencyMs : 0.8 * previous + 0.2 * latencyMs);
    if (this.latency.size > LATENCIES_KEPT) this.latency.delete(this.latency.keys().next().value as string);
  }

  private enqueue(delivery: ClaimedDelivery): void {
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
        if (this.endpoints.size === 0) this.idle?.();
        // Room was made: worth a claim only where deliveries were left in the store for want of it.
        if (this.roomExhausted || this.backlogged.has(key)) this.wake();
      });
    }
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { clock, sender, buildHeaders, policy, observer } = this.deps;
    const startedAt = clock.now();
    let requestHeaders: Record<string, string> = {};
    let result: SendResult;
    try {
      requestHeaders = await buildHeaders(delivery, startedAt);
      result = await sender.send({ uri: delivery.uri, headers: requestHeaders, body: delivery.body });
    } catch (err) {
      // A signing failure is our bug, not the receiver's: record it and retry like any other failure.
      result = { kind: "error", error: `could not sign: ${(err as Error).message}`, latencyMs: 0 };
    }
    const attempt: Attempt = {
      deliveryId: delivery.id,
      attemptNumber: delivery.attemptCount + 1,
      startedAt,
      latencyMs: result.latencyMs,
      requestHeaders,
      ...(result.kind === "response" ? { statusCode: result.statusCode, responseExcerpt: result.body } : { error: result.error }),
    };
    const verdict = judgeAttempt(result, delivery, policy, clock.now());
    observer.attempt(verdict.kind, result.latencyMs);
    this.observeLatency(delivery.endpointKey, result.latencyMs);
    observer.attempted?.(delivery, attempt, verdict);
    this.pending.push({ delivery, attempt, verdict });
    this.flushSoon();
  }

  /**
   * Coalesces outcomes into one write per 20 ms (one round trip on PostgreSQL). Off the latency path (the
   * receiver already has the request); a crash in the window only re-sends those deliveries, same webhook-id.
   */
  private flushSoon(): void {
    if (this.pending.length >= FLUSH_MAX_OUTCOMES) {
      void this.flush();
      return;
    }
    this.flushTimer ??= this.deps.clock.setTimeout(() => void this.flush(), FLUSH_WINDOW_MS);
  }

  /** Writes the outcomes gathered so far; flushes run one after another, in order. */
  private flush(): Promise<void> {
    this.deps.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => (batch.length > 0 ? this.record(batch) : undefined));
    return this.flushing;
  }

  private async record(batch: Outcome[]): Promise<void> {
    const { store, clock, policy } = this.deps;
    const now = clock.now();
    try {
      const outcomes = batch.map((o) => ({ webhookId: o.delivery.webhookId, verdict: o.verdict }));
      const candidates = await store.deliveries.settle(
        {
          settlements: batch.map((o) => settleDelivery(o.attempt, o.verdict, now)),
          attempts: batch.map((o) => o.attempt),
          webhooksSucceeded: [...new Set(outcomes.flatMap((o) => (o.verdict.kind === "succeeded" && o.webhookId !== undefined ? [o.webhookId] : [])))],
          webhooksAtRisk: webhooksAtRisk(outcomes),
        },
        now,
      );
      const toDisable = webhooksToDisable(outcomes, candidates, now, policy.windowMs);
      if (toDisable.length > 0) await this.deps.onDisable(toDisable);
      // A retry may now be due sooner than the claim loop's timer.
      const retries = batch.flatMap((o) => (o.verdict.kind === "retry" ? [o.verdict.at] : []));
      if (retries.length > 0) this.loop.wakeBy(Math.min(...retries));
    } catch (err) {
      // The leases stay: these deliveries come due again when they run out and are re-sent, same webhook-id.
      this.deps.observer.error(err, `record ${batch.length} delivery attempts`);
    }
  }

  private release(ids: string[]): void {
    this.deps.store.deliveries
      .release(ids, this.deps.workerId)
      .then((count) => {
        if (count > 0) this.wake();
      })
      .catch((err: unknown) => this.deps.observer.error(err, "hand back deliveries it had no room for"));
  }
}
