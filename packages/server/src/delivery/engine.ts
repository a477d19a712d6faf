import { tallyRound } from "../core/attempt-stats.js";
import type { Clock, Timer } from "../core/clock.js";
import {
  attemptsToKeep,
  judgeAttempt,
  settleDelivery,
  type Attempt,
  type DeliveryVerdict,
  type SendResult,
} from "../core/deliveries.js";
import { isFifoEndpoint, isPacedEndpoint } from "../core/fanout.js";
import { deliveryId, parseDeliveryId } from "../core/ids.js";
import type { RetryPolicy } from "../core/retry-schedule.js";
import { webhooksAtRisk, webhooksToDisable, type WebhookToDisable } from "../core/webhooks.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";
import type { DeliveryDispatch } from "../services/outbox.js";
import type { BornLease, ClaimedDelivery, Store } from "../store/store.js";
import { ParkedDeliveries } from "./parked.js";
import type { OutgoingRequest } from "./sender.js";

export interface Sender {
  /**
   * Sends one attempt. With `slot`, a sender that `holdsQueues` starts at most `slot.size` at once for `slot.key`
   * and holds the rest until one ends; one it withdraws before starting answers `withdrawn`.
   */
  send(req: OutgoingRequest, slot?: EndpointSlot): Promise<SenderOutcome>;
  /**
   * The sender keeps each endpoint's concurrency itself (the sending thread): the engine may hand it more than an
   * endpoint's concurrency, so that the next attempt starts there as soon as one ends, without waiting for this
   * thread to hear of it (docs/architecture.md: the sending thread).
   */
  readonly holdsQueues?: boolean;
  /** Answers `withdrawn` for every attempt it holds and has not started (the engine is stopping). */
  withdraw?(): void;
}

/** An endpoint's concurrency, for a sender that keeps it (`Sender.holdsQueues`). */
export interface EndpointSlot {
  key: string;
  size: number;
}

/** What a sender answers: the attempt's result, or that it withdrew the attempt unsent. */
export type SenderOutcome = SendResult | { kind: "withdrawn" };

/**
 * The headers of one attempt made at `attemptAt` (ms) and how the sender signs it: at once, or later when a
 * signing thread has signed a token (RS256, ES256).
 */
export type AttemptBuilder = (delivery: ClaimedDelivery, attemptAt: number) => AttemptParts | Promise<AttemptParts>;

export type AttemptParts = Pick<OutgoingRequest, "headers" | "signing">;

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
  buildAttempt: AttemptBuilder;
  policy: RetryPolicy;
  clock: Clock;
  /** Names this engine's worker in the store (host, pid and a random part), for people reading the table. */
  workerName: string;
  /**
   * This process is the only one using the store (embedded SQLite): on start, every worker recorded before is a
   * process that has stopped, so what they held is queued again at once instead of when their rows run out.
   */
  exclusive: boolean;
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
  /** Attempts in flight at once in all: each holds a socket, and the process's file descriptors are finite. */
  maxInFlight: number;
  /**
   * How far ahead an endpoint may hold deliveries claimed from the store: what it answers in this long at its
   * measured latency (see `depthLimit`). Its answers trigger the next claim, so a short window keeps it busy; a
   * delivery claimed further ahead waits in memory long enough to outlive V8's young generation, and a drain of a
   * large backlog then spends its time collecting the old one (docs/store.md: leases and failover).
   */
  claimAheadMs: number;
  /**
   * How far ahead an endpoint may hold deliveries born leased here. Longer than `claimAheadMs`, since a batch read
   * back from the store costs a statement; beyond it they are parked (`parkAheadMs`).
   */
  adoptAheadMs: number;
  /**
   * How far ahead an endpoint may park deliveries born leased here that it has no room to hold: their keys wait in
   * memory, their rows stay leased, and they are read back as it makes room, at no write (`delivery/parked.ts`).
   * Beyond it, or past `maxParked` in all, they are handed back to the queue.
   */
  parkAheadMs: number;
  /** Deliveries parked in all: a key each. */
  maxParked: number;
  /**
   * How long this engine's worker stays alive in the store without a renewal: what a process that dies holds is
   * queued again for the others this long after its last renewal, at most (docs/store.md: leases and failover).
   */
  aliveMs: number;
  /** How often the worker renews itself, and looks for workers that died. */
  renewMs: number;
  /** Longest sleep between looks at the queue when nothing wakes the engine. */
  idlePollMs: number;
}

/**
 * A slow endpoint holds 64 at most: 64 / 16 at a time × a 10 s timeout = 40 s in memory. A fast endpoint may hold
 * more, as many as its measured latency says it sends within 50 ms when claimed, or 1 s when born leased here, and
 * park the keys of 30 s more (64 while its latency is unknown, 100,000 over all endpoints). A
 * worker renews itself every 5 s and is taken for dead 15 s after its last renewal; the others look every 5 s, so a
 * dead process's deliveries are claimed again about 20 s after its death.
 */
export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  perEndpointConcurrency: 16,
  perEndpointQueue: 64,
  maxQueued: 4096,
  maxInFlight: 1024,
  claimAheadMs: 50,
  adoptAheadMs: 1_000,
  parkAheadMs: 30_000,
  maxParked: 100_000,
  aliveMs: 15_000,
  renewMs: 5_000,
  idlePollMs: 5_000,
};

/** A lease whose transaction has not committed this long is taken for rolled back: it no longer holds the cover. */
const RESERVATION_MS = 60_000;

export const FLUSH_WINDOW_MS = 20;
const FLUSH_MAX_OUTCOMES = 256;
const CLAIM_LIMIT = 512;
/** Parked deliveries are read back once this many fit (or half the endpoint's window, or all it parked). */
const REFILL_BATCH = 64;
/**
 * Attempts started in one turn of the event loop, at most. Starting one (signing, a socket's connect) costs
 * ~0.1–0.2 ms, so a fan-out of thousands started at once would hold the loop for a second: the rest start in
 * the turns after, and requests are answered in between (docs/store.md: fan-out).
 */
export const STARTS_PER_TURN = 64;
/** Endpoints whose latency is remembered: enough for every active one; the oldest are forgotten first. */
const LATENCIES_KEPT = 10_000;

interface Endpoint {
  queue: ClaimedDelivery[];
  /** When each of its attempts in flight started. */
  inFlight: number[];
  /** Wakes a paced endpoint when its next start is due. */
  pacer?: Timer;
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
  /** Attempts in flight, over all endpoints (with those the sender holds for an endpoint's next slot). */
  private inFlight = 0;
  /** Attempts the sender withdrew unsent while the engine stopped: handed back with those never started. */
  private readonly withdrawn: ClaimedDelivery[] = [];
  /** Attempts started in this turn of the event loop. */
  private startedThisTurn = 0;
  /** Endpoints with deliveries they may send that wait for the next turn or for room in `maxInFlight`, oldest first. */
  private readonly ready = new Set<string>();
  /** When each paced endpoint may start its next attempt (kept after the endpoint empties, so pacing spans bursts). */
  private readonly nextStarts = new Map<string, number>();
  /** Each endpoint's recent attempt latency (moving average), which decides how many it may hold. */
  private readonly latency = new Map<string, number>();
  /**
   * Endpoints with due deliveries left in the store because they had no room: an attempt ending there wakes the claim
   * loop.
   */
  private readonly backlogged = new Set<string>();
  /** The last claim stopped because the engine as a whole had no room. */
  private roomExhausted = false;
  /**
   * Endpoints for which the store holds due deliveries that found no room (a dead process's, retries come due):
   * deliveries born leased here beyond `claimAheadMs` of their work are parked and none is read back, so what fell
   * due first is sent first, rather than behind what the endpoint keeps being handed (docs/store.md: leases and
   * failover).
   */
  private readonly storeFirst = new Set<string>();
  private readonly renewal: WakeableLoop;
  /** This engine's worker in the store, once registered. */
  private worker: number | undefined;
  /** The worker row's version, and the key its cover starts from as last written (null: none). */
  private version = 0;
  private coveredFrom: number | null = null;
  /** Born leases handed out for transactions that have not committed yet, with when. */
  private readonly reservations = new Map<BornLease, number>();
  /** Keys of the deliveries born leased to this engine that are not settled yet: the cover must stay below them. */
  private readonly bornHeld = new Set<number>();
  /** Deliveries born leased here that waited for room as keys, and the reads bringing some back, by endpoint. */
  private readonly parked = new ParkedDeliveries();
  private readonly refilling = new Map<string, Promise<void>>();
  /** Parked deliveries being read back, in all: they count against `maxQueued` already. */
  private reading = 0;
  /** Endpoints with room for what they parked that wait for room in the engine as a whole, longest waiting first. */
  private readonly awaitingRoom = new Set<string>();

  constructor(
    private readonly deps: EngineDeps,
    private readonly options: EngineOptions = DEFAULT_ENGINE_OPTIONS,
  ) {
    this.loop = new WakeableLoop(
      deps.clock,
      () => this.round(),
      (err) => deps.observer.error(err, "claim due deliveries"),
    );
    this.renewal = new WakeableLoop(
      deps.clock,
      () => this.renew(),
      (err) => deps.observer.error(err, "renew this worker"),
    );
  }

  get queuedCount(): number {
    return this.queued;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  get parkedCount(): number {
    return this.parked.size;
  }

  /** Registers this engine's worker (on SQLite, after queueing what the previous process held), then claims. */
  async start(): Promise<void> {
    const { store, clock, workerName, exclusive } = this.deps;
    const worker = await store.workers.register(workerName, clock.now() + this.options.aliveMs);
    if (exclusive) await store.workers.reap(clock.now(), worker);
    this.worker = worker;
    this.loop.start();
    this.renewal.start();
  }

  lease(): BornLease | undefined {
    if (!this.loop.isRunning || this.worker === undefined) return undefined;
    const lease = { worker: this.worker, coveredFrom: this.coveredFrom };
    this.reservations.set(lease, this.deps.clock.now());
    return lease;
  }

  /**
   * Takes deliveries born leased to this engine. Those whose endpoint has no room wait behind what it parked
   * before, as keys (`parkAheadMs`); beyond that they are handed back to the queue at once, so a dead endpoint's
   * backlog waits in the store, not in memory.
   */
  adopt(lease: BornLease, deliveries: readonly ClaimedDelivery[]): void {
    this.reservations.delete(lease);
    if (lease.worker !== this.worker) return; // a lease of a worker this engine replaced (see renew): reaped with it
    const refused: ClaimedDelivery[] = [];
    const parkedFor = new Set<string>();
    for (const delivery of deliveries) {
      const key = parseDeliveryId(delivery.id) as number;
      const endpointKey = delivery.endpointKey;
      this.bornHeld.add(key);
      // Their transaction covered them (or the cover was already lower): the worker row's cover is at most this.
      if (this.coveredFrom === null || key < this.coveredFrom) this.coveredFrom = key;
      const aheadMs = this.storeFirst.has(endpointKey) ? this.options.claimAheadMs : this.options.adoptAheadMs;
      // Behind what the endpoint parked, and what is being read back: they were handed over first.
      const waiting = this.parked.sizeOf(endpointKey) > 0 || this.refilling.has(endpointKey);
      if (!waiting && this.hasRoomFor(endpointKey, aheadMs)) {
        this.enqueue(delivery);
      } else if (
        this.parked.size < this.options.maxParked &&
        this.parked.sizeOf(endpointKey) < this.parkLimit(endpointKey)
      ) {
        this.parked.park(endpointKey, key);
        parkedFor.add(endpointKey);
      } else {
        refused.push(delivery);
        this.backlogged.add(endpointKey);
      }
    }
    if (refused.length > 0) this.release(refused);
    for (const endpointKey of parkedFor) this.refill(endpointKey);
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
    this.renewal.stop();
    this.ready.clear();
    // A read of parked deliveries that ends now parks them again (the loop has stopped), to be handed back below.
    await Promise.all(this.refilling.values());
    const unstarted: Pick<ClaimedDelivery, "id" | "endpointKey">[] = this.parked
      .takeAll()
      .map(({ endpointKey, key }) => ({ id: deliveryId(key), endpointKey }));
    for (const [key, endpoint] of this.endpoints) {
      this.deps.clock.clearTimeout(endpoint.pacer);
      for (const delivery of endpoint.queue) {
        this.held.delete(delivery.id);
        unstarted.push(delivery);
      }
      this.queued -= endpoint.queue.length;
      endpoint.queue = [];
      if (endpoint.inFlight.length === 0) this.endpoints.delete(key);
    }
    this.deps.sender.withdraw?.();
    if (this.endpoints.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    unstarted.push(...this.withdrawn.splice(0));
    await this.flush();
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    const { store, clock, observer } = this.deps;
    await store.deliveries
      .release(unstarted, worker, clock.now())
      .catch((err: unknown) => observer.error(err, "hand back unsent deliveries"));
    await store.workers.retire(worker, clock.now()).catch((err: unknown) => observer.error(err, "retire this worker"));
  }

  /**
   * Keeps this worker alive, moves its cover up to the oldest delivery still born leased to it, and queues what
   * dead workers held. A cover is not written while a born lease is out (its transaction could lower it meanwhile:
   * the row's version catches that), so a delivery is always covered from before it commits until it settles.
   */
  private async renew(): Promise<number> {
    const { store, clock, workerName, observer } = this.deps;
    const worker = this.worker;
    if (worker === undefined) return this.options.renewMs;
    const now = clock.now();
    for (const [lease, at] of this.reservations) if (at <= now - RESERVATION_MS) this.reservations.delete(lease);
    let from: number | null = null;
    for (const key of this.bornHeld) if (from === null || key < from) from = key;
    const cover = this.reservations.size === 0 ? { from, version: this.version } : undefined;
    const renewed = await store.workers.renew(worker, now + this.options.aliveMs, cover);
    if (!renewed.alive) {
      // Taken for dead (a stall longer than aliveMs): what it held was queued again. Carry on as a new worker.
      observer.error(
        new Error(`worker ${worker} was taken for dead and its deliveries queued again`),
        "renew this worker",
      );
      this.worker = await store.workers.register(workerName, clock.now() + this.options.aliveMs);
      this.version = 0;
      this.coveredFrom = null;
      this.bornHeld.clear();
      this.parked.takeAll();
      return 0;
    }
    this.version = renewed.version;
    if (renewed.covered) this.coveredFrom = from;
    if ((await store.workers.reap(clock.now())) > 0) this.wake();
    return this.options.renewMs;
  }

  /** Claims what there is room for, then sleeps until the next delivery is due. */
  private async round(): Promise<number> {
    this.deps.observer.claimRound();
    const claimedAt = await this.claimWhileRoom();
    // What endpoints parked goes next, where the store holds nothing older for them.
    for (const endpointKey of this.parked.endpoints()) this.refill(endpointKey);
    const next = await this.deps.store.deliveries.nextDueAt();
    if (next === undefined || (claimedAt !== undefined && next > claimedAt)) {
      // Nothing due was left in the store for want of room: an attempt ending has nothing to claim (a timer, a
      // retry, a NOTIFY or a hand-back wakes the loop for what comes due later).
      this.backlogged.clear();
      this.roomExhausted = false;
    }
    if (next === undefined) return this.options.idlePollMs;
    // Due when we last claimed and still not taken: it belongs to an endpoint (or an engine) with no room.
    // Looking again at once would spin; an attempt finishing wakes the engine when there is room.
    if (claimedAt === undefined || next <= claimedAt) {
      if (claimedAt !== undefined) for (const key of this.backlogged) this.storeFirst.add(key);
      return this.options.idlePollMs;
    }
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
      const skipEndpoints = [...this.endpoints.keys()].filter(
        (key) => !this.hasRoomFor(key, this.options.claimAheadMs),
      );
      for (const key of skipEndpoints) this.backlogged.add(key);
      claimedAt = this.deps.clock.now();
      const limit = Math.min(room, CLAIM_LIMIT);
      const perEndpointLimit = this.options.perEndpointQueue;
      const worker = this.worker;
      if (worker === undefined) return claimedAt;
      const claimed = await this.deps.store.deliveries.claim({
        now: claimedAt,
        worker,
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
      if (claimed.length < limit) {
        // Claimed with room and not to its limit: the store has nothing more due for it.
        for (const key of this.storeFirst) if (!this.backlogged.has(key)) this.storeFirst.delete(key);
        return claimedAt;
      }
    }
    return claimedAt;
  }

  /**
   * Whether an endpoint may hold another delivery, `aheadMs` of its work at most: `adoptAheadMs` for one born leased
   * here (`claimAheadMs` while the store holds older ones for it), `claimAheadMs` for one claimed from the store.
   */
  private hasRoomFor(endpointKey: string, aheadMs: number): boolean {
    return this.queued < this.options.maxQueued && this.depthOf(endpointKey) < this.depthLimit(endpointKey, aheadMs);
  }

  /** What an endpoint holds: queued here and in flight. */
  private depthOf(endpointKey: string): number {
    const endpoint = this.endpoints.get(endpointKey);
    return endpoint === undefined ? 0 : endpoint.queue.length + endpoint.inFlight.length;
  }

  /**
   * How many deliveries an endpoint may hold: as many as it answers within `aheadMs` at its measured latency;
   * `perEndpointQueue` while its latency is unknown or slow.
   */
  private depthLimit(endpointKey: string, aheadMs: number): number {
    return Math.min(this.sendableWithin(endpointKey, aheadMs), this.options.maxQueued);
  }

  /** How many deliveries an endpoint may park: what it answers within `parkAheadMs` at its measured latency. */
  private parkLimit(endpointKey: string): number {
    return this.sendableWithin(endpointKey, this.options.parkAheadMs);
  }

  /** What an endpoint answers within `ms` at its latency; `perEndpointQueue` while that is unknown or slow. */
  private sendableWithin(endpointKey: string, ms: number): number {
    const latency = this.latencyOf(endpointKey);
    if (latency === undefined) return this.options.perEndpointQueue;
    const sendable = Math.floor((this.options.perEndpointConcurrency * ms) / Math.max(latency, 1));
    return Math.max(sendable, this.options.perEndpointQueue);
  }

  /**
   * Reads back what an endpoint parked, as much as it has room for at `adoptAheadMs`, once that is a batch (half its
   * window, `REFILL_BATCH` or all it parked): one read per batch. Not while the store holds due deliveries for it
   * that found no room (`storeFirst`): those fell due first and go first. Its own attempts ending bring it back here
   * when it lacks room, any attempt ending when the engine as a whole does (`awaitingRoom`).
   */
  private refill(endpointKey: string): void {
    const parked = this.parked.sizeOf(endpointKey);
    const worker = this.worker;
    if (parked === 0 || worker === undefined || !this.loop.isRunning) return;
    if (this.refilling.has(endpointKey) || this.storeFirst.has(endpointKey)) return;
    const depth = this.depthOf(endpointKey);
    const window = this.depthLimit(endpointKey, this.options.adoptAheadMs);
    const batch = Math.min(parked, Math.ceil(window / 2), REFILL_BATCH);
    if (window - depth < batch) return;
    const room = Math.min(window - depth, this.options.maxQueued - this.queued - this.reading);
    if (room < batch) {
      this.awaitingRoom.add(endpointKey);
      return;
    }
    this.awaitingRoom.delete(endpointKey);
    const keys = this.parked.take(endpointKey, Math.min(room, CLAIM_LIMIT));
    this.reading += keys.length;
    const read = this.deps.store.deliveries.held(keys, worker).then(
      (deliveries) => {
        this.refilling.delete(endpointKey);
        this.reading -= keys.length;
        if (this.worker !== worker) return; // taken for dead meanwhile: the reap queued them for any engine
        if (!this.loop.isRunning) {
          this.parked.putBack(endpointKey, keys);
          return;
        }
        // One not read back is no longer this worker's (queued again by a reap): the cover may pass it.
        const found = new Set(deliveries.map((d) => parseDeliveryId(d.id) as number));
        for (const key of keys) if (!found.has(key)) this.bornHeld.delete(key);
        for (const delivery of deliveries) this.enqueue(delivery);
        this.refill(endpointKey);
      },
      (err: unknown) => {
        this.refilling.delete(endpointKey);
        this.reading -= keys.length;
        if (this.worker === worker) this.parked.putBack(endpointKey, keys);
        this.deps.observer.error(err, "read back parked deliveries");
      },
    );
    this.refilling.set(endpointKey, read);
  }

  /**
   * An endpoint's latency as the engine sees it now: its recent average, or how long its oldest attempt in flight
   * has been out if that is longer. An endpoint that stops answering is slow at once, not when its first attempt
   * times out, so it stops taking the engine's room from the others (docs/store.md: leases and failover).
   */
  private latencyOf(endpointKey: string): number | undefined {
    const measured = this.latency.get(endpointKey);
    const inFlight = this.endpoints.get(endpointKey)?.inFlight;
    if (measured === undefined || inFlight === undefined || inFlight.length === 0) return measured;
    return Math.max(measured, this.deps.clock.now() - Math.min(...inFlight));
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
      endpoint = { queue: [], inFlight: [] };
      this.endpoints.set(delivery.endpointKey, endpoint);
    }
    endpoint.queue.push(delivery);
    this.queued++;
    this.drain(delivery.endpointKey, endpoint);
  }

  private drain(key: string, endpoint: Endpoint): void {
    // A FIFO webhook has one delivery out at a time; the store gives it only its oldest (docs/store.md).
    const concurrency = isFifoEndpoint(key) ? 1 : this.options.perEndpointConcurrency;
    const handed = this.handOffLimit(key, concurrency);
    while (endpoint.inFlight.length < handed && endpoint.queue.length > 0) {
      if (!this.paced(key, endpoint)) return;
      if (!this.mayStart()) {
        this.ready.add(key);
        return;
      }
      const delivery = endpoint.queue.shift() as ClaimedDelivery;
      const startedAt = this.deps.clock.now();
      endpoint.inFlight.push(startedAt);
      this.inFlight++;
      void this.attempt(delivery, { key, size: concurrency }).finally(() => {
        this.held.delete(delivery.id);
        endpoint.inFlight.splice(endpoint.inFlight.indexOf(startedAt), 1);
        this.inFlight--;
        this.queued--;
        if (endpoint.inFlight.length === 0 && endpoint.queue.length === 0) this.endpoints.delete(key);
        if (this.loop.isRunning) {
          this.drain(key, endpoint);
          this.drainReady();
          this.refill(key);
          this.refillAwaiting();
        }
        if (this.endpoints.size === 0) this.idle?.();
        // Room was made: worth a claim only where deliveries were left in the store for want of it.
        if (this.roomExhausted || this.backlogged.has(key)) this.wake();
      });
    }
  }

  /**
   * How many attempts an endpoint may have out at once: its concurrency, or twice that with a sender that keeps it
   * (`Sender.holdsQueues`): one window sending and the next waiting there to start as each ends. Not for a FIFO
   * webhook (the next is sent only once the one before has settled) nor a rate-limited one (its starts are spaced
   * here).
   */
  private handOffLimit(key: string, concurrency: number): number {
    const keepsConcurrency = this.deps.sender.holdsQueues === true && !isFifoEndpoint(key) && !isPacedEndpoint(key);
    return keepsConcurrency ? concurrency * 2 : concurrency;
  }

  /**
   * Whether a rate-limited webhook's next delivery may start now: starts are spaced 1 / rate apart, never in a
   * burst, so no second ever sees more than the rate (plus the one at its edge). Otherwise it books a timer.
   */
  private paced(key: string, endpoint: Endpoint): boolean {
    const rate = endpoint.queue[0]?.rateLimitPerSecond;
    if (rate === undefined || !isPacedEndpoint(key)) return true;
    const now = this.deps.clock.now();
    const nextStartAt = this.nextStarts.get(key) ?? 0;
    if (now >= nextStartAt) {
      // Re-inserted, so the map's order is least recently used first.
      this.nextStarts.delete(key);
      this.nextStarts.set(key, now + 1000 / rate);
      if (this.nextStarts.size > LATENCIES_KEPT) this.nextStarts.delete(this.nextStarts.keys().next().value as string);
      return true;
    }
    endpoint.pacer ??= this.deps.clock.setTimeout(() => {
      endpoint.pacer = undefined;
      if (this.loop.isRunning) this.drain(key, endpoint);
    }, nextStartAt - now);
    return false;
  }

  /** Whether another attempt may start now; the first start of a turn books the next turn's. */
  private mayStart(): boolean {
    if (this.inFlight >= this.options.maxInFlight || this.startedThisTurn >= STARTS_PER_TURN) return false;
    if (this.startedThisTurn++ === 0) {
      setImmediate(() => {
        this.startedThisTurn = 0;
        this.drainReady();
      });
    }
    return true;
  }

  /** Starts what endpoints that were kept waiting may send, the longest waiting first. */
  private drainReady(): void {
    for (const key of this.ready) {
      const endpoint = this.endpoints.get(key);
      this.ready.delete(key);
      if (endpoint !== undefined) this.drain(key, endpoint);
      // drain put it back: no more room this turn.
      if (this.ready.has(key)) return;
    }
  }

  private async attempt(delivery: ClaimedDelivery, slot: EndpointSlot): Promise<void> {
    const { clock, sender, buildAttempt, policy, observer } = this.deps;
    const startedAt = clock.now();
    let result: SenderOutcome;
    try {
      const { headers, signing } = await buildAttempt(delivery, startedAt);
      result = await sender.send({ uri: delivery.uri, headers, body: delivery.body, signing }, slot);
    } catch (err) {
      // A signing failure is our bug, not the receiver's: record it and retry like any other failure.
      result = { kind: "error", error: `could not sign: ${(err as Error).message}`, latencyMs: 0 };
    }
    if (result.kind === "withdrawn") {
      // Never sent (the engine is stopping): handed back with those never started, no attempt recorded.
      this.withdrawn.push(delivery);
      return;
    }
    const attempt: Attempt = {
      deliveryId: delivery.id,
      attemptNumber: delivery.attemptCount + 1,
      startedAt,
      latencyMs: result.latencyMs,
      ...(result.kind === "response"
        ? { statusCode: result.statusCode, responseExcerpt: result.body }
        : { error: result.error }),
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
      const settlements = batch.map((o) => settleDelivery(o.delivery, o.attempt, o.verdict, now));
      const attempts = batch.map((o) => o.attempt);
      const candidates = await store.deliveries.settle(
        {
          settlements,
          keptAttempts: attemptsToKeep(attempts),
          ...tallyRound(
            batch.map((o) => ({
              projectId: o.delivery.projectId,
              webhookId: o.delivery.webhookId,
              attempt: o.attempt,
            })),
            settlements,
          ),
          webhooksSucceeded: [
            ...new Set(
              outcomes.flatMap((o) =>
                o.verdict.kind === "succeeded" && o.webhookId !== undefined ? [o.webhookId] : [],
              ),
            ),
          ],
          webhooksAtRisk: webhooksAtRisk(outcomes),
        },
        now,
      );
      // Settled: their worker's cover may move past them.
      for (const o of batch) this.bornHeld.delete(parseDeliveryId(o.delivery.id) as number);
      const toDisable = webhooksToDisable(outcomes, candidates, now, policy.windowMs);
      if (toDisable.length > 0) await this.deps.onDisable(toDisable);
      // A FIFO webhook's next delivery is claimable now that this one is settled (or due again, later).
      if (batch.some((o) => isFifoEndpoint(o.delivery.endpointKey))) this.wake();
      // A retry may now be due sooner than the claim loop's timer.
      const retries = batch.flatMap((o) => (o.verdict.kind === "retry" ? [o.verdict.at] : []));
      if (retries.length > 0) this.loop.wakeBy(Math.min(...retries));
    } catch (err) {
      // The leases stay: these deliveries come due again when they run out and are re-sent, same webhook-id.
      this.deps.observer.error(err, `record ${batch.length} delivery attempts`);
    }
  }

  /** Room was made in the engine: endpoints whose parked deliveries waited for it are read back, in turn. */
  private refillAwaiting(): void {
    for (const endpointKey of this.awaitingRoom) {
      this.awaitingRoom.delete(endpointKey);
      this.refill(endpointKey);
      // Back in the set: the engine has no room for another batch yet.
      if (this.awaitingRoom.has(endpointKey)) return;
    }
  }

  private release(deliveries: ClaimedDelivery[]): void {
    const worker = this.worker;
    if (worker === undefined) return;
    this.deps.store.deliveries
      .release(deliveries, worker, this.deps.clock.now())
      .then((count) => {
        for (const d of deliveries) this.bornHeld.delete(parseDeliveryId(d.id) as number);
        if (count > 0) this.wake();
      })
      .catch((err: unknown) => this.deps.observer.error(err, "hand back deliveries it had no room for"));
  }
}
