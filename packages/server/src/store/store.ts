import type { Batch, BatchLine } from "../core/batches.js";
import type { Attempt, Delivery, DeliveryState, DeliveryVerdict } from "../core/deliveries.js";
import type { EventTarget, StoredEvent } from "../core/events.js";
import type { Operation } from "../core/operations.js";
import type { Page, PageRequest } from "../core/pages.js";
import type { Project } from "../core/projects.js";
import type { Webhook, WebhookState } from "../core/webhooks.js";
import type { FileStore } from "./file-store.js";

/** A webhook as persisted: its signing secrets sealed (AES-256-GCM) by the caller, opaque to the store. */
export type WebhookRecord = Omit<Webhook, "secrets"> & { sealedSecrets: string };

/** An RS256 key pair that signs dynamic webhooks; the private half sealed by the caller. */
export interface SigningKeyRecord {
  kid: string;
  publicJwk: Record<string, unknown>;
  sealedPrivateJwk: string;
  createdAt: number;
  /** When a rotation replaced it; it stays published in the JWKS for a while after. */
  retiredAt?: number;
}

/** A delivery leased to this process, with what it takes to send it. */
export interface ClaimedDelivery extends Delivery {
  /** The event's JSON body, exactly as it will be signed and sent. */
  body: string;
  /** The webhook's sealed secrets for static deliveries; dynamic ones are signed with the server's key. */
  sealedSecrets?: string;
  /** Key that groups deliveries sharing an endpoint, for per-endpoint concurrency. */
  endpointKey: string;
}

export interface AttemptOutcome {
  delivery: ClaimedDelivery;
  attempt: Attempt;
  verdict: DeliveryVerdict;
}

/** A webhook that must be disabled: it answered 410, or its deliveries ran out with no success for the window. */
export interface WebhookToDisable {
  projectId: string;
  webhookId: string;
  reason: string;
  state: WebhookState;
}

export interface DeliveryFilter {
  webhookId?: string;
  eventId?: string;
  state?: DeliveryState;
}

export interface EventFilter {
  type?: string;
  operation?: string;
}

export type DecideFinish = (operation: Operation) => { operation: Operation; event: StoredEvent };
export type DecideBatchFinish = (batch: Batch) => { batch: Batch; event: StoredEvent };

/**
 * The one persistence interface. Every driver (SQLite, PostgreSQL) passes the same conformance suite.
 * Methods that change an operation's state also write its event and deliveries in the same transaction
 * (the transactional outbox), so a crash can never leave a state change without its webhooks.
 */
export interface Store {
  close(): Promise<void>;
  /** File metadata (DESIGN §2.3); the bytes live in a BlobStore. */
  readonly files: FileStore;

  createProject(project: Project): Promise<void>;
  getProject(id: string): Promise<Project | undefined>;
  getDefaultProject(): Promise<Project | undefined>;
  addApiKey(projectId: string, keyHash: string, now: number): Promise<void>;
  projectIdForKeyHash(keyHash: string): Promise<string | undefined>;

  insertWebhook(webhook: WebhookRecord): Promise<void>;
  getWebhook(projectId: string, id: string): Promise<WebhookRecord | undefined>;
  listWebhooks(projectId: string, page: PageRequest): Promise<Page<WebhookRecord>>;
  updateWebhook(webhook: WebhookRecord): Promise<void>;
  deleteWebhook(projectId: string, id: string): Promise<boolean>;
  /** Disables a webhook, fails its pending deliveries and publishes `event` (webhook.disabled) to the others. */
  disableWebhook(projectId: string, id: string, state: WebhookState, event: StoredEvent, now: number): Promise<boolean>;

  insertOperation(operation: Operation): Promise<void>;
  getOperation(projectId: string, id: string): Promise<Operation | undefined>;
  listOperations(projectId: string, filter: { done?: boolean; type?: string }, page: PageRequest): Promise<Page<Operation>>;
  /**
   * Atomically: read, decide (may throw), write the operation, its event and the event's deliveries.
   * With `leaseUntil` the deliveries are born leased and returned, for the caller's engine to send at once.
   */
  finishOperation(
    projectId: string,
    id: string,
    decide: DecideFinish,
    now: number,
    leaseUntil?: number,
  ): Promise<{ operation: Operation; event: StoredEvent; deliveries: ClaimedDelivery[] } | undefined>;
  /** Running operations whose expire_time has passed, oldest first. */
  listExpiredOperations(now: number, limit: number): Promise<Operation[]>;
  nextExpireAt(): Promise<number | undefined>;

  /** Writes an event and one delivery per target; returns the number of deliveries. */
  publishEvent(event: StoredEvent, target: EventTarget, now: number): Promise<number>;
  getEvent(projectId: string, id: string): Promise<StoredEvent | undefined>;
  listEvents(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>>;
  /** New deliveries of an existing event (same webhook-id): to the given webhook, or to its original targets. */
  redeliverEvent(projectId: string, eventId: string, webhookId: string | undefined, now: number): Promise<number>;

  /**
   * Leases up to `limit` due deliveries until `leaseUntil`, skipping endpoints this process already has
   * enough of. A lease that is never settled (a crash) makes the delivery due again when it runs out.
   */
  claimDueDeliveries(
    now: number,
    leaseUntil: number,
    limit: number,
    skipEndpoints: readonly string[],
    /** At most this many for any one endpoint, so one endpoint's backlog stays in the store. */
    perEndpointLimit?: number,
  ): Promise<ClaimedDelivery[]>;
  /** Records many attempts and their verdicts in one transaction. */
  recordAttempts(outcomes: readonly AttemptOutcome[], now: number, windowMs: number): Promise<WebhookToDisable[]>;
  /** Ends the delivery and batch leases of a previous process that shared nothing with this one (single-node SQLite restart). */
  releaseLeases(now: number): Promise<number>;
  nextDueAt(): Promise<number | undefined>;
  listDeliveries(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery & { attempts: Attempt[] }>>;
  /** Re-queues a webhook's failed deliveries created in [since, until). */
  recoverDeliveries(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number>;

  /** A new batch with its input lines, in one transaction. */
  insertBatch(batch: Batch, lines: readonly BatchLine[]): Promise<void>;
  getBatch(projectId: string, id: string): Promise<Batch | undefined>;
  listBatches(projectId: string, page: PageRequest): Promise<Page<Batch>>;
  deleteBatch(projectId: string, id: string): Promise<boolean>;
  /** Leases one batch that needs running (pending, or running under a lapsed lease) and marks it running. */
  claimBatch(now: number, leaseUntil: number): Promise<Batch | undefined>;
  renewBatchLease(id: string, leaseUntil: number): Promise<void>;
  /** Up to `limit` unsettled lines, in input order. */
  pendingBatchLines(batchId: string, limit: number): Promise<BatchLine[]>;
  /** Settles lines and bumps the batch's counters in one transaction; lines already settled are left alone. */
  recordBatchLines(batchId: string, lines: readonly BatchLine[], now: number): Promise<void>;
  /** Every line in input order, for writing the output. */
  batchLines(batchId: string): Promise<BatchLine[]>;
  /** Atomically: read, decide (may throw), write the batch, its event and the event's deliveries. */
  finishBatch(projectId: string, id: string, decide: DecideBatchFinish, now: number): Promise<{ batch: Batch; event: StoredEvent } | undefined>;
  /** Unfinished batches whose deadline has passed. */
  listExpiredBatches(now: number, limit: number): Promise<Batch[]>;

  /** Every signing key, newest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /** Makes `key` the current signing key, retiring the current ones at `now`, in one transaction. */
  addSigningKey(key: SigningKeyRecord, now: number): Promise<void>;
}
