import type { Batch, BatchLine } from "../core/batches.js";
import type { LastFailure, MinuteCounts, Tally } from "../core/attempt-stats.js";
import type {
  Attempt,
  Delivery,
  DeliverySettlement,
  DeliveryState,
  Lease,
  PlannedDelivery,
} from "../core/deliveries.js";
import type { NewEvent, StoredEvent } from "../core/events.js";
import type { DeliveryTarget } from "../core/fanout.js";
import type { FileRecord } from "../core/files.js";
import type { IdempotencyClaim, IdempotencyRecord } from "../core/idempotency.js";
import type { Interaction } from "../core/interactions.js";
import type { Operation, OperationEnding, OperationFilter, OperationKind, OperationRef } from "../core/operations.js";
import type { PortalLink } from "../core/portal-links.js";
import type { Page, PageRequest } from "../core/pages.js";
import type { ApiKeyInfo, ApiKeyRecord, KeyHolder, Project } from "../core/projects.js";
import type { Purged } from "../core/retention.js";
import type { KeySchedule } from "../core/signing-keys.js";
import type { VideoOperation } from "../core/videos.js";
import type { Webhook, WebhookState } from "../core/webhooks.js";

/**
 * The persistence contract, one small interface per aggregate. Two drivers implement it (SQLite and
 * PostgreSQL); they run SQL and nothing else: every decision is a pure function in `core/`, called by the
 * services. One conformance suite (test/store/) runs against both.
 */
export interface Store extends StoreAggregates {
  /**
   * Runs `work` in one transaction: everything it does through `tx` commits together or not at all. This is
   * the transactional outbox: a state change, its event and its deliveries are written by one `work`.
   */
  transaction<T>(work: (tx: StoreAggregates) => Promise<T>): Promise<T>;
  /** Ends the database connections (after the workers have stopped). */
  close(): Promise<void>;
}

export interface StoreAggregates {
  readonly projects: ProjectStore;
  readonly webhooks: WebhookStore;
  readonly operations: OperationStore;
  readonly events: EventStore;
  readonly deliveries: DeliveryQueue;
  readonly workers: WorkerStore;
  readonly retention: RetentionStore;
  readonly batches: BatchStore;
  readonly batchLines: BatchLineStore;
  readonly files: FileStore;
  readonly signingKeys: SigningKeyStore;
  readonly interactions: InteractionStore;
  readonly videos: VideoStore;
  readonly stats: StatsStore;
  readonly idempotency: IdempotencyStore;
  readonly portalLinks: PortalLinkStore;
}

/** Tenants and the hashes of their API keys. */
export interface ProjectStore {
  insert(project: Project): Promise<void>;
  get(id: string): Promise<Project | undefined>;
  getDefault(): Promise<Project | undefined>;
  /** Idempotent: adding a key hash that is already there changes nothing. */
  addApiKey(key: ApiKeyRecord): Promise<void>;
  /**
   * Makes `key` its project's configured key (TIDINGS_API_KEY): adds it, or marks it when its hash is there, and
   * deletes any other key of the project marked so. Answers the ids deleted.
   */
  setConfiguredApiKey(key: ApiKeyRecord): Promise<string[]>;
  /** Who a key hash belongs to, if anyone. */
  keyHolder(keyHash: string): Promise<KeyHolder | undefined>;
  /** Oldest first; never the hashes. */
  listApiKeys(projectId: string, page: PageRequest): Promise<Page<ApiKeyInfo>>;
  /** Revokes a key; false when the project has no such key. */
  deleteApiKey(projectId: string, id: string): Promise<boolean>;
  /** Records that a key was used at `now`. */
  touchApiKey(id: string, now: number): Promise<void>;
  /** Ends every dashboard session of the key: its session epoch goes up by one. */
  endSessions(id: string): Promise<void>;
  /**
   * Inside a transaction: holds the project until commit, so that a check of a project-wide limit and the
   * write it allows are not interleaved with another process's (SQLite's write transactions already are not).
   */
  lock(projectId: string): Promise<void>;
  /**
   * Sets how long the project's finished records are kept; undefined: the server's default. False when no such project.
   */
  setRetention(id: string, retentionMs: number | undefined): Promise<boolean>;
}

/** A webhook as persisted: its signing secrets sealed (AES-256-GCM) by the caller, opaque to the store. */
export type WebhookRecord = Omit<Webhook, "secrets"> & { sealedSecrets: string };

export interface WebhookStore {
  insert(webhook: WebhookRecord): Promise<void>;
  get(projectId: string, id: string): Promise<WebhookRecord | undefined>;
  /** Oldest first. */
  list(projectId: string, page: PageRequest): Promise<Page<WebhookRecord>>;
  /** The enabled webhooks of these projects: the candidates their events fan out to. */
  listEnabled(projectIds: readonly string[]): Promise<WebhookRecord[]>;
  update(webhook: WebhookRecord): Promise<void>;
  /** Changes the state of an enabled webhook; false when it was not enabled (already disabled, or gone). */
  disable(projectId: string, id: string, state: Exclude<WebhookState, "enabled">, now: number): Promise<boolean>;
  /** Removes it; its key, id and URI stay on record for the deliveries it had. */
  delete(projectId: string, id: string, now: number): Promise<boolean>;
  /** How many webhooks the project has, in any state. */
  count(projectId: string): Promise<number>;
}

/** An ending (core: operationEnding) for the operation `id` of the project `projectId`. */
export interface OperationEndingRef {
  projectId: string;
  id: string;
  ending: OperationEnding;
}

export interface OperationStore {
  insert(operation: Operation): Promise<void>;
  get(projectId: string, id: string): Promise<Operation | undefined>;
  /** Those of `ids` that exist in the project, in any order. */
  getMany(projectId: string, ids: readonly string[]): Promise<Operation[]>;
  /** Inside a transaction: reads these operations and locks them until commit, so each ends exactly once. */
  getManyForUpdate(refs: readonly { projectId: string; id: string }[]): Promise<Operation[]>;
  /**
   * Inside a transaction: ends each of these that is still running in its project, and returns those it ended as
   * they now are. One not found, or found already ended, is left as it is and not returned.
   */
  endMany(endings: readonly OperationEndingRef[]): Promise<Operation[]>;
  delete(projectId: string, id: string): Promise<boolean>;
  /** The polling surface: operations of every kind (custom ones, batches, videos), oldest first. */
  listAllKinds(projectId: string, filter: OperationFilter, page: PageRequest): Promise<Page<OperationRef>>;
  /** Running operations whose expire_time has passed, oldest deadline first. */
  listExpired(now: number, limit: number): Promise<Operation[]>;
  nextExpireAt(): Promise<number | undefined>;
}

export interface EventFilter {
  type?: string;
  operation?: string;
  /** Newest first (the dashboard) instead of oldest first (the API). */
  newestFirst?: boolean;
}

export interface EventStore {
  /** Writes the events, in order, and returns them with their ids (their keys in the store: core/ids.ts). */
  insert(events: readonly NewEvent[]): Promise<StoredEvent[]>;
  get(projectId: string, id: string): Promise<StoredEvent | undefined>;
  list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>>;
}

/** A delivery leased to a delivery engine, with what it takes to send it. */
export interface ClaimedDelivery extends Delivery {
  /** The event's JSON body, exactly as it will be signed and sent. */
  body: string;
  /** The webhook's sealed secrets for static deliveries; dynamic ones are signed with the server's key. */
  sealedSecrets?: string;
  /** The webhook's rate limit, as it is now: attempts started per second at most. */
  rateLimitPerSecond?: number;
}

export interface SettlementRound {
  settlements: readonly DeliverySettlement[];
  /** The attempts that get a row of their own (core: attemptsToKeep); a success is on its delivery's row. */
  keptAttempts: readonly Attempt[];
  /** What the round adds to the per-minute tallies, and each webhook's latest failure (core: tallyRound). */
  minutes: readonly MinuteCounts[];
  lastFailures: readonly LastFailure[];
  /** Webhooks that answered 2xx in this round. */
  webhooksSucceeded: readonly string[];
  /** Webhooks with a terminal failure in this round: the only ones the disable rule needs to read. */
  webhooksAtRisk: readonly string[];
}

export interface ClaimRequest {
  now: number;
  /** The worker (WorkerStore) the claimed deliveries are leased to, until they settle or it dies. */
  worker: number;
  limit: number;
  /** Endpoints this engine has no room for: their deliveries stay in the store. */
  skipEndpoints: readonly string[];
  /** At most this many for any one endpoint, so one endpoint's backlog stays in the store. */
  perEndpointLimit: number;
}

export interface DeliveryFilter {
  webhookId?: string;
  eventId?: string;
  state?: DeliveryState;
  /** Newest first (the dashboard) instead of oldest first (the API). */
  newestFirst?: boolean;
}

export type DeliveryWithAttempts = Delivery & { attempts: Attempt[] };

/** A born lease as the store writes it: the engine's worker, and the lowest key its worker row already covers. */
export interface BornLease extends Lease {
  /** No delivery born leased to this worker has a key below this (WorkerStore: the failover range); null: none yet. */
  coveredFrom: number | null;
}

/**
 * The deliveries, and the queue of those waiting for an engine. A new delivery is born leased to the engine of
 * the process that wrote it, and never enters the queue unless it must wait: a retry, a delivery no engine
 * was born leased to, one handed back, or one whose engine's process died (docs/store.md).
 */
export interface DeliveryQueue {
  /**
   * New deliveries, each the next of its event's deliveries (an event's deliveries are one range of keys).
   * Born leased (`lease`) they are sent by that engine without a claim; otherwise, and always for endpoints
   * claimed one engine at a time (FIFO and paced webhooks, core/fanout.ts), they are queued, due now.
   */
  insert(planned: readonly PlannedDelivery[], now: number, lease?: BornLease): Promise<Delivery[]>;
  /** More deliveries of events written before (a redelivery), numbered after those they have; queued, due now. */
  insertMore(planned: readonly PlannedDelivery[], now: number): Promise<Delivery[]>;
  /**
   * Leases due, queued deliveries that no live worker holds, at most `perEndpointLimit` per endpoint, soonest due
   * first.
   */
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /**
   * Of these deliveries, the ones born leased to `worker` that it still holds (pending, not queued again by a reap),
   * in key order: an engine reads back what it parked (docs/store.md: leases and failover). Writes nothing.
   */
  held(keys: readonly number[], worker: number): Promise<ClaimedDelivery[]>;
  /**
   * Records a round of attempts, atomically: the deliveries' new states (a retry is queued again at its time,
   * unleased; a delivery that ends leaves the queue), the kept attempts, the tallies, `now` as the last success of
   * the webhooks that answered 2xx; returns those of `webhooksAtRisk` that are enabled, as they were before this
   * round: the candidates for the disable rule. Deliveries no longer pending are left alone.
   */
  settle(round: SettlementRound, now: number): Promise<WebhookRecord[]>;
  /** Hands these deliveries held by `worker` back to the queue, due at once for any engine. */
  release(deliveries: readonly Pick<Delivery, "id" | "endpointKey">[], worker: number, now: number): Promise<number>;
  /** A webhook's routing changed: what it has waiting in the queue waits under its new endpoint key from now on. */
  rekey(webhookId: string, endpoint: string): Promise<number>;
  /**
   * Of these FIFO webhooks, the oldest waiting delivery of each that has failed at least once: what holds the rest
   * back.
   */
  blockedHeads(projectId: string, webhookIds: readonly string[]): Promise<Delivery[]>;
  /** When the next queued delivery becomes claimable (due and unleased), if any. */
  nextDueAt(): Promise<number | undefined>;
  list(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryWithAttempts>>;
  /** Where an event was sent: its dynamic URIs and static webhooks, once each. */
  targetsOf(eventId: string): Promise<DeliveryTarget[]>;
  /** Fails a webhook's pending deliveries (it was disabled or deleted). */
  failPending(webhookId: string, reason: string): Promise<number>;
  /** Re-queues a webhook's failed deliveries created in [since, until), each with a fresh window. */
  recover(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number>;
}

/**
 * The processes that run a delivery engine. A live one renews its row; deliveries born leased to it or claimed
 * by it are its own while the row is alive. When it stops renewing, another process (or its successor on the same
 * SQLite file) reaps it: its deliveries go back to the queue, due at once (docs/store.md: leases and failover).
 */
export interface WorkerStore {
  /** A new worker, alive until `aliveUntil`. Ids are never used again. */
  register(name: string, aliveUntil: number): Promise<number>;
  /**
   * Keeps the worker alive until `aliveUntil` and, when `cover` is given, sets the key its born-leased deliveries
   * start from (null: it holds none) unless a born lease lowered it since `cover.version`. Returns the row's version
   * and whether `cover` was written. False when the row is gone (it was reaped: the worker must register anew).
   */
  renew(
    id: number,
    aliveUntil: number,
    cover?: { from: number | null; version: number },
  ): Promise<{ alive: boolean; version: number; covered: boolean }>;
  /**
   * Workers not alive at `now`, or every worker but `survivor` (a store only this process uses, on start): their
   * deliveries are queued again, due at once, and their rows go. Returns how many deliveries it queued.
   */
  reap(now: number, survivor?: number): Promise<number>;
  /** A worker that stops: what it still holds is queued again at once, and its row goes. */
  retire(id: number, now: number): Promise<number>;
}

/**
 * Purging what outlived its retention, in short steps (docs/store.md: retention). A delivery still pending is never
 * purged, and neither is its event or its operation.
 */
export interface RetentionStore {
  /** Every project, with its own retention if it has one. */
  projects(): Promise<{ projectId: string; retentionMs?: number }[]>;
  /**
   * The project's oldest events, `limit` at most, after key `after` (0 to start), written before `before` and whose
   * deliveries all ended, with those deliveries and attempts. `next` is where the next step goes on, if it should.
   */
  purgeEvents(
    projectId: string,
    before: number,
    after: number,
    limit: number,
  ): Promise<{ purged: Purged; next?: number }>;
  /**
   * Ended operations of every kind (custom, batch with its lines, video, interaction), ended before `before`, that no
   * event names any more.
   */
  purgeOperations(projectId: string, before: number, limit: number): Promise<Purged>;
  /** Per-minute tallies before `beforeMinute`, and webhooks' last errors older than it. */
  purgeTallies(projectId: string, beforeMinute: number, limit: number): Promise<Purged>;
  /** Deleted webhooks' names, once no delivery names them. */
  purgeDeletedWebhooks(before: number): Promise<number>;
  /** Files whose expireTime has passed, `limit` at most, oldest first. */
  expiredFiles(now: number, limit: number): Promise<{ projectId: string; id: string }[]>;
  /** An operation's events with their deliveries (pending ones too) and attempts: the erasure DELETE asks for. */
  eraseEvents(projectId: string, operation: string): Promise<Purged>;
}

/**
 * The run leases of one kind of leased work (batches, interactions, videos): one process at a time runs an
 * item, renewing its lease while it does; a lease that is not renewed (a crash) runs out.
 */
export interface LeaseRows<T> {
  /** Leases one item that needs running, whose lease is free or has run out. */
  claim(now: number, leaseUntil: number): Promise<T | undefined>;
  /** Extends the lease of one that has not ended; false when it has ended or is gone (the UPDATE's row count). */
  renewLease(id: string, leaseUntil: number): Promise<boolean>;
  /** Ends every lease of the kind: for a store only this process uses, after a crash. */
  releaseAll(): Promise<number>;
}

/** Batches (a row each); their input lines and results are `BatchLineStore`'s. */
export interface BatchStore extends LeaseRows<Batch> {
  /** A new batch with its input lines, atomically; a large batch is written in chunks that let the event loop turn. */
  insert(batch: Batch, lines: readonly BatchLine[]): Promise<void>;
  /**
   * A batch whose input is still being written (a JSONL file goes in a chunk at a time as it is read, each
   * chunk in a transaction of its own): until `reveal`, no read here finds it, the runner does not claim it,
   * the gauges do not count it and it does not expire. Its state and counts are those it is revealed with.
   */
  insertHidden(batch: Batch): Promise<void>;
  /**
   * A hidden batch becomes pending, and visible; it is returned as it now stands. Undefined when no such batch is
   * hidden.
   */
  reveal(batchId: string, now: number): Promise<Batch | undefined>;
  /**
   * Deletes up to `maxLines` lines of a hidden batch, and the batch once it has none left, so that a large one
   * goes in short steps. True once the batch is gone (or was not hidden: a visible batch is never touched).
   */
  discardHidden(batchId: string, maxLines: number): Promise<boolean>;
  /** Hidden batches created before `createdBefore`, oldest first: creations that a crash cut short. */
  listHidden(createdBefore: number, limit: number): Promise<string[]>;
  get(projectId: string, id: string): Promise<Batch | undefined>;
  /** Inside a transaction: reads the batch and locks it until commit, so it ends exactly once. */
  getForUpdate(projectId: string, id: string): Promise<Batch | undefined>;
  /** Those of `ids` that exist in the project, in any order. */
  getMany(projectId: string, ids: readonly string[]): Promise<Batch[]>;
  list(projectId: string, page: PageRequest): Promise<Page<Batch>>;
  /** Writes a finished batch: state, output, error, times; its run lease ends. */
  update(batch: Batch): Promise<void>;
  delete(projectId: string, id: string): Promise<boolean>;
  /**
   * Leases one batch that needs running (pending, or running under a lapsed lease) and marks it running. One
   * past its deadline is left to expire, not run.
   */
  claim(now: number, leaseUntil: number): Promise<Batch | undefined>;
  /** Unfinished batches whose deadline has passed. */
  listExpired(now: number, limit: number): Promise<Batch[]>;
  /** The soonest deadline of an unfinished batch, if any: when the next one expires. */
  nextDeadlineAt(): Promise<number | undefined>;
}

/** The input lines of batches, each settled once with its result; settling one moves its batch's counters. */
export interface BatchLineStore {
  /**
   * More input lines for a batch: its request count grows by their number, and its failed count by those already
   * failed.
   */
  append(batchId: string, lines: readonly BatchLine[]): Promise<void>;
  /** Up to `limit` unsettled lines, in input order. */
  pending(batchId: string, limit: number): Promise<BatchLine[]>;
  /** Settles lines and bumps the batch's counters; lines already settled are left alone. */
  record(batchId: string, lines: readonly BatchLine[], now: number): Promise<void>;
  /** Every line in input order (inline responses). */
  all(batchId: string): Promise<BatchLine[]>;
  /**
   * Up to `limit` lines from input position `fromIndex` on, in order, without their requests: the output is written
   * page by page.
   */
  page(batchId: string, fromIndex: number, limit: number): Promise<BatchLine[]>;
}

/** File metadata (docs/wire.md: files); the bytes live in a BlobStore. */
export interface FileStore {
  /** Fails if the project already has a file with this id. */
  insert(file: FileRecord): Promise<void>;
  get(projectId: string, id: string): Promise<FileRecord | undefined>;
  /** Oldest first, like every other list. */
  list(projectId: string, page: PageRequest): Promise<Page<FileRecord>>;
  /** Rewrites the mutable fields (display name, size, hash, state, times) of an existing file. */
  update(file: FileRecord): Promise<void>;
  delete(projectId: string, id: string): Promise<boolean>;
  /** The bytes of every file the project stores, in any state. */
  totalBytes(projectId: string): Promise<number>;
}

/** A key pair that signs dynamic webhooks; the private half sealed by the caller. */
export interface SigningKeyRecord extends KeySchedule {
  publicJwk: Record<string, unknown>;
  sealedPrivateJwk: string;
  createdAt: number;
}

/** Portal links: single-use links into one project's dashboard; found by the hash of their token. */
export interface PortalLinkStore {
  insert(link: PortalLink): Promise<void>;
  get(id: string): Promise<PortalLink | undefined>;
  /** The project's links that have not expired at `now`, newest first. */
  list(projectId: string, now: number, page: PageRequest): Promise<Page<PortalLink>>;
  /**
   * Opens the link with this token hash: marks it opened at `now` and returns it, if it was neither opened nor
   * expired. Atomic, so of two requests racing with one link only one gets it.
   */
  open(tokenHash: string, now: number): Promise<PortalLink | undefined>;
  /** Revokes a link (ending the session it opened); false when the project has no such link. */
  delete(projectId: string, id: string): Promise<boolean>;
  /** Forgets links that expired before `before`; how many. */
  deleteExpired(before: number): Promise<number>;
}

export interface SigningKeyStore {
  /** Every key, newest first. */
  list(): Promise<SigningKeyRecord[]>;
  /** Adds `key`, which signs from its activation; the keys not yet retired retire at that moment. */
  add(key: SigningKeyRecord): Promise<void>;
}

/**
 * Interactions (docs/wire.md: interactions): stored with their whole timeline; a background one in progress carries a
 * run lease.
 */
export interface InteractionStore extends LeaseRows<Interaction> {
  insert(interaction: Interaction): Promise<void>;
  get(projectId: string, id: string): Promise<Interaction | undefined>;
  /** Inside a transaction: reads the interaction and locks it until commit, so each change happens once. */
  getForUpdate(projectId: string, id: string): Promise<Interaction | undefined>;
  /**
   * Writes the mutable fields (status, steps, usage, error, times, the continuation that resumed it); once it is no
   * longer in progress its run lease ends.
   */
  update(interaction: Interaction): Promise<void>;
  delete(projectId: string, id: string): Promise<boolean>;
  /** The project's interactions, newest first (the dashboard's list; the API has none, as Gemini's has none). */
  list(projectId: string, page: PageRequest): Promise<Page<Interaction>>;
  /** Leases one background interaction in progress whose lease is free or has run out, oldest first. */
  claim(now: number, leaseUntil: number): Promise<Interaction | undefined>;
  /** Extends the run lease of one still in progress; false when it is not (cancelled, deleted, or stopped). */
  renewLease(id: string, leaseUntil: number): Promise<boolean>;
}

/**
 * Video operations (docs/wire.md: video generation); one that has not ended carries a run lease while a process works
 * on it.
 */
export interface VideoStore extends LeaseRows<VideoOperation> {
  insert(video: VideoOperation): Promise<void>;
  get(projectId: string, id: string): Promise<VideoOperation | undefined>;
  /** Inside a transaction: reads the operation and locks it until commit, so it ends exactly once. */
  getForUpdate(projectId: string, id: string): Promise<VideoOperation | undefined>;
  /** Those of `ids` that exist in the project, in any order. */
  getMany(projectId: string, ids: readonly string[]): Promise<VideoOperation[]>;
  /** Writes the mutable fields (state, handle, file, error, times); an ended one's run lease ends. */
  update(video: VideoOperation): Promise<void>;
  /** Leases one unfinished operation whose lease is free or has run out, oldest first. */
  claim(now: number, leaseUntil: number): Promise<VideoOperation | undefined>;
}

/**
 * `Idempotency-Key`s: a key is claimed by the first request that carries it, which runs while the others wait,
 * then holds that request's sealed answer for the retries until it expires. Every change but the claim is made
 * by the claim's owner alone, so a request that lost its claim (it ran out) cannot overwrite another's.
 */
export interface IdempotencyStore {
  /**
   * Claims the key for one request: inserts it in flight, or takes it over when the record there has expired
   * or is in flight under a claim that ran out (a process died mid-request). Returns undefined when the key is
   * now the caller's, else the record that holds it (answered, or in flight under a live claim).
   */
  claim(claim: IdempotencyClaim, now: number): Promise<IdempotencyRecord | undefined>;
  get(scope: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Extends an in-flight claim; false when `owner` no longer holds the key. */
  renew(scope: string, key: string, owner: string, lockedUntil: number): Promise<boolean>;
  /**
   * Saves the answer of the owner's request: the key replays it until it expires. False when `owner` no longer holds
   * the key.
   */
  complete(scope: string, key: string, owner: string, sealedResponse: string): Promise<boolean>;
  /** Frees a key in flight without saving anything (the request failed): the next request with the key runs. */
  release(scope: string, key: string, owner: string): Promise<boolean>;
  /** Deletes up to `limit` keys that expired before `before`, oldest first; how many it deleted. */
  deleteExpired(before: number, limit: number): Promise<number>;
}

/** The attempts of one webhook over a window, or of one minute. */
export type WebhookTally = Tally & { webhookId: string };
export type MinuteTally = Tally & { minute: number };

/** The last failed attempt of a webhook. */
export interface WebhookLastError {
  webhookId: string;
  deliveryId: string;
  error: string;
  at: number;
}

/** What /metrics counts as unfinished work: every kind of operation, and interactions. */
export type UnfinishedKind = OperationKind | "interaction";

/**
 * Counts for the dashboard and the /metrics gauges. The per-minute tallies are written by
 * `deliveries.settle`, so every read here costs what the time range holds, never the size of the history.
 */
export interface StatsStore {
  /**
   * The attempts each of these webhooks started in minutes [sinceMinute, untilMinute); webhooks with none are left out.
   */
  byWebhook(
    projectId: string,
    webhookIds: readonly string[],
    sinceMinute: number,
    untilMinute: number,
  ): Promise<WebhookTally[]>;
  /**
   * The project's attempts (static and dynamic targets) per minute in [sinceMinute, untilMinute), minutes with none
   * left out, in order.
   */
  byMinute(projectId: string, sinceMinute: number, untilMinute: number): Promise<MinuteTally[]>;
  /** The latest failed attempt of each of these webhooks that has one. */
  lastErrors(projectId: string, webhookIds: readonly string[]): Promise<WebhookLastError[]>;
  /**
   * Across projects: deliveries not yet sent (queued or held by an engine), and when the oldest of them was created.
   */
  backlog(): Promise<{ pending: number; oldestCreatedAt?: number }>;
  /** Across projects: webhooks in each state. */
  webhookStates(): Promise<{ state: WebhookState; count: number }[]>;
  /** Across projects: operations (and interactions) not yet done, by kind and state. */
  unfinishedOperations(): Promise<{ kind: UnfinishedKind; state: string; count: number }[]>;
  /** Across projects: the lines of batches not yet done, by state. */
  unfinishedBatchLines(): Promise<{ state: "pending" | "succeeded" | "failed"; count: number }[]>;
}
