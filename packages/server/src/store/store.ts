import type { Batch, BatchLine } from "../core/batches.js";
import type { Tally } from "../core/attempt-stats.js";
import type { Attempt, Delivery, DeliverySettlement, DeliveryState, NewDelivery } from "../core/deliveries.js";
import type { StoredEvent } from "../core/events.js";
import type { DeliveryTarget } from "../core/fanout.js";
import type { FileRecord } from "../core/files.js";
import type { Interaction } from "../core/interactions.js";
import type { Operation, OperationFilter, OperationKind, OperationRef } from "../core/operations.js";
import type { PortalLink } from "../core/portal-links.js";
import type { Page, PageRequest } from "../core/pages.js";
import type { Project } from "../core/projects.js";
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
  readonly batches: BatchStore;
  readonly files: FileStore;
  readonly signingKeys: SigningKeyStore;
  readonly interactions: InteractionStore;
  readonly videos: VideoStore;
  readonly stats: StatsStore;
  readonly portalLinks: PortalLinkStore;
}

/** Tenants and the hashes of their API keys. */
export interface ProjectStore {
  insert(project: Project): Promise<void>;
  get(id: string): Promise<Project | undefined>;
  getDefault(): Promise<Project | undefined>;
  /** Idempotent: adding a key hash that is already there changes nothing. */
  addApiKey(projectId: string, keyHash: string, now: number): Promise<void>;
  projectIdForKeyHash(keyHash: string): Promise<string | undefined>;
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
  delete(projectId: string, id: string): Promise<boolean>;
}

export interface OperationStore {
  insert(operation: Operation): Promise<void>;
  get(projectId: string, id: string): Promise<Operation | undefined>;
  /** Those of `ids` that exist in the project, in any order. */
  getMany(projectId: string, ids: readonly string[]): Promise<Operation[]>;
  /** Inside a transaction: reads these operations and locks them until commit, so each ends exactly once. */
  getManyForUpdate(refs: readonly { projectId: string; id: string }[]): Promise<Operation[]>;
  /** Writes the mutable fields of each: state, response, output, error, update time. */
  updateMany(operations: readonly Operation[]): Promise<void>;
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
  insert(events: readonly StoredEvent[]): Promise<void>;
  get(projectId: string, id: string): Promise<StoredEvent | undefined>;
  list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>>;
}

/** A delivery leased to a delivery engine, with what it takes to send it. */
export interface ClaimedDelivery extends Delivery {
  /** The event's JSON body, exactly as it will be signed and sent. */
  body: string;
  /** The webhook's sealed secrets for static deliveries; dynamic ones are signed with the server's key. */
  sealedSecrets?: string;
}

export interface SettlementRound {
  settlements: readonly DeliverySettlement[];
  attempts: readonly Attempt[];
  /** Webhooks that answered 2xx in this round. */
  webhooksSucceeded: readonly string[];
  /** Webhooks with a terminal failure in this round: the only ones the disable rule needs to read. */
  webhooksAtRisk: readonly string[];
}

export interface ClaimRequest {
  now: number;
  /** The lease: until when the claimed deliveries are this engine's alone. */
  lockedUntil: number;
  lockedBy: string;
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

/** The delivery queue: one row per event and target, leased to an engine while it is being sent. */
export interface DeliveryQueue {
  /** New deliveries; those carrying a lease are born leased to the engine that will send them. */
  insert(deliveries: readonly NewDelivery[]): Promise<void>;
  /**
   * Leases due, unleased deliveries. A lease that is never settled (a crash) lets the delivery be claimed
   * again once it runs out; a delivery is never leased to two engines at once.
   */
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /**
   * Records a round of attempts, atomically: writes the attempts and the deliveries' new states (ending
   * their leases; deliveries no longer pending are left alone), stamps `now` as the last success of the
   * webhooks that answered 2xx, and returns those of `webhooksAtRisk` that are enabled, as they were
   * before this round: the candidates for the disable rule. Each attempt not written before is also counted
   * in the per-minute tallies that `stats` reads. One round trip on PostgreSQL.
   */
  settle(round: SettlementRound, now: number): Promise<WebhookRecord[]>;
  /** Ends these leases held by `lockedBy` now: the deliveries are due again at once. */
  release(ids: readonly string[], lockedBy: string): Promise<number>;
  /** Ends every lease: for a store only this process uses, after a crash. */
  releaseAll(): Promise<number>;
  /** When the next pending delivery becomes claimable (due and unleased), if any. */
  nextDueAt(): Promise<number | undefined>;
  list(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryWithAttempts>>;
  /** Where an event was sent: its dynamic URIs and static webhooks, once each. */
  targetsOf(eventId: string): Promise<DeliveryTarget[]>;
  /** Fails a webhook's pending deliveries (it was disabled or deleted). */
  failPending(webhookId: string, reason: string, now: number): Promise<number>;
  /** Re-queues a webhook's failed deliveries created in [since, until), each with a fresh window. */
  recover(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number>;
}

export interface BatchStore {
  /** A new batch with its input lines, atomically; a large batch is written in chunks that let the event loop turn. */
  insert(batch: Batch, lines: readonly BatchLine[]): Promise<void>;
  /**
   * A batch whose input is still being written (a JSONL file goes in a chunk at a time as it is read, each
   * chunk in a transaction of its own): until `reveal`, no read here finds it, the runner does not claim it,
   * the gauges do not count it and it does not expire. Its state and counts are those it is revealed with.
   */
  insertHidden(batch: Batch): Promise<void>;
  /** More input lines for a batch: its request count grows by their number, and its failed count by those already failed. */
  appendLines(batchId: string, lines: readonly BatchLine[]): Promise<void>;
  /** A hidden batch becomes pending, and visible; it is returned as it now stands. Undefined when no such batch is hidden. */
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
  /** Leases one batch that needs running (pending, or running under a lapsed lease) and marks it running. */
  claim(now: number, leaseUntil: number): Promise<Batch | undefined>;
  renewLease(id: string, leaseUntil: number): Promise<void>;
  /** Ends every batch lease: for a store only this process uses, after a crash. */
  releaseAll(): Promise<number>;
  /** Up to `limit` unsettled lines, in input order. */
  pendingLines(batchId: string, limit: number): Promise<BatchLine[]>;
  /** Settles lines and bumps the batch's counters; lines already settled are left alone. */
  recordLines(batchId: string, lines: readonly BatchLine[], now: number): Promise<void>;
  /** Every line in input order (inline responses). */
  lines(batchId: string): Promise<BatchLine[]>;
  /** Up to `limit` lines from input position `fromIndex` on, in order, without their requests: the output is written page by page. */
  linesFrom(batchId: string, fromIndex: number, limit: number): Promise<BatchLine[]>;
  /** Unfinished batches whose deadline has passed. */
  listExpired(now: number, limit: number): Promise<Batch[]>;
}

/** File metadata (DESIGN §2.3); the bytes live in a BlobStore. */
export interface FileStore {
  /** Fails if the project already has a file with this id. */
  insert(file: FileRecord): Promise<void>;
  get(projectId: string, id: string): Promise<FileRecord | undefined>;
  /** Oldest first, like every other list. */
  list(projectId: string, page: PageRequest): Promise<Page<FileRecord>>;
  /** Rewrites the mutable fields (display name, size, hash, state, times) of an existing file. */
  update(file: FileRecord): Promise<void>;
  delete(projectId: string, id: string): Promise<boolean>;
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

/** Interactions (DESIGN §2.4): stored with their whole timeline; a background one in progress carries a run lease. */
export interface InteractionStore {
  insert(interaction: Interaction): Promise<void>;
  get(projectId: string, id: string): Promise<Interaction | undefined>;
  /** Inside a transaction: reads the interaction and locks it until commit, so each change happens once. */
  getForUpdate(projectId: string, id: string): Promise<Interaction | undefined>;
  /** Writes the mutable fields (status, steps, usage, error, times); once it is no longer in progress its run lease ends. */
  update(interaction: Interaction): Promise<void>;
  delete(projectId: string, id: string): Promise<boolean>;
  /** The project's interactions, newest first (the dashboard's list; the API has none, as Gemini's has none). */
  list(projectId: string, page: PageRequest): Promise<Page<Interaction>>;
  /** Leases one background interaction in progress whose lease is free or has run out, oldest first. */
  claim(now: number, leaseUntil: number): Promise<Interaction | undefined>;
  /** Extends the run lease of one still in progress; false when it is not (cancelled, deleted, or stopped). */
  renewLease(id: string, leaseUntil: number): Promise<boolean>;
  /** Ends every interaction lease: for a store only this process uses, after a crash. */
  releaseAll(): Promise<number>;
}

/** Video operations (DESIGN §2.5); one that has not ended carries a run lease while a process works on it. */
export interface VideoStore {
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
  renewLease(id: string, leaseUntil: number): Promise<void>;
  /** Ends every video lease: for a store only this process uses, after a crash. */
  releaseAll(): Promise<number>;
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
  /** The attempts each of these webhooks started in minutes [sinceMinute, untilMinute); webhooks with none are left out. */
  byWebhook(projectId: string, webhookIds: readonly string[], sinceMinute: number, untilMinute: number): Promise<WebhookTally[]>;
  /** The project's attempts (static and dynamic targets) per minute in [sinceMinute, untilMinute), minutes with none left out, in order. */
  byMinute(projectId: string, sinceMinute: number, untilMinute: number): Promise<MinuteTally[]>;
  /** The latest failed attempt of each of these webhooks that has one. */
  lastErrors(projectId: string, webhookIds: readonly string[]): Promise<WebhookLastError[]>;
  /** Across projects: deliveries waiting to be sent, and when the oldest of them was created. */
  backlog(): Promise<{ pending: number; oldestCreatedAt?: number }>;
  /** Across projects: webhooks in each state. */
  webhookStates(): Promise<{ state: WebhookState; count: number }[]>;
  /** Across projects: operations (and interactions) not yet done, by kind and state. */
  unfinishedOperations(): Promise<{ kind: UnfinishedKind; state: string; count: number }[]>;
  /** Across projects: the lines of batches not yet done, by state. */
  unfinishedBatchLines(): Promise<{ state: "pending" | "succeeded" | "failed"; count: number }[]>;
}
