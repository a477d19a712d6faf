import type { StoreAggregates } from "../store.js";
import { type BatchLineWrites, SqlBatchLines } from "./batch-lines.js";
import { SqlBatches } from "./batches.js";
import type { SqlDb } from "./db.js";
import { type ClaimKeys, type SettleRound, SqlDeliveries } from "./deliveries.js";
import { SqlEvents } from "./events.js";
import { SqlFiles } from "./files.js";
import { SqlIdempotency } from "./idempotency.js";
import { SqlInteractions } from "./interactions.js";
import { SqlOperations } from "./operations.js";
import { SqlPortalLinks } from "./portal-links.js";
import { type ConfigureApiKey, SqlProjects } from "./projects.js";
import { SqlRetention } from "./retention.js";
import { SqlSigningKeys } from "./signing-keys.js";
import { SqlStats } from "./stats.js";
import { SqlVideos } from "./videos.js";
import { SqlWebhooks } from "./webhooks.js";
import { SqlWorkers } from "./workers.js";

/** What a driver does its own way, beside its dialect (docs/store.md: statements written once). */
export interface DriverStatements {
  claimKeys: ClaimKeys;
  settle: SettleRound;
  batchLineWrites: BatchLineWrites;
  configureApiKey: ConfigureApiKey;
  /** Inside the transaction that queues deliveries: PostgreSQL wakes the other processes' engines at commit. */
  onQueued?: (db: SqlDb) => Promise<void>;
  /** First in a signing-key rotation's transaction (SqlSigningKeys). */
  serialiseRotations?: (db: SqlDb) => Promise<void>;
}

/** Every aggregate, on one connection or transaction. */
export function sqlAggregates(db: SqlDb, driver: DriverStatements): StoreAggregates {
  return {
    projects: new SqlProjects(db, driver.configureApiKey),
    webhooks: new SqlWebhooks(db),
    operations: new SqlOperations(db),
    events: new SqlEvents(db),
    deliveries: new SqlDeliveries(db, driver.claimKeys, driver.settle, driver.onQueued),
    workers: new SqlWorkers(db, driver.onQueued),
    batches: new SqlBatches(db, driver.batchLineWrites),
    batchLines: new SqlBatchLines(db, driver.batchLineWrites),
    files: new SqlFiles(db),
    signingKeys: new SqlSigningKeys(db, driver.serialiseRotations),
    interactions: new SqlInteractions(db),
    videos: new SqlVideos(db),
    retention: new SqlRetention(db),
    stats: new SqlStats(db),
    idempotency: new SqlIdempotency(db),
    portalLinks: new SqlPortalLinks(db),
  };
}

/** A store's aggregates as its own fields (a Store is its aggregates outside a transaction). */
export abstract class AggregateFields implements StoreAggregates {
  readonly projects: StoreAggregates["projects"];
  readonly webhooks: StoreAggregates["webhooks"];
  readonly operations: StoreAggregates["operations"];
  readonly events: StoreAggregates["events"];
  readonly deliveries: StoreAggregates["deliveries"];
  readonly workers: StoreAggregates["workers"];
  readonly retention: StoreAggregates["retention"];
  readonly batches: StoreAggregates["batches"];
  readonly batchLines: StoreAggregates["batchLines"];
  readonly files: StoreAggregates["files"];
  readonly signingKeys: StoreAggregates["signingKeys"];
  readonly interactions: StoreAggregates["interactions"];
  readonly videos: StoreAggregates["videos"];
  readonly stats: StoreAggregates["stats"];
  readonly idempotency: StoreAggregates["idempotency"];
  readonly portalLinks: StoreAggregates["portalLinks"];

  constructor(free: StoreAggregates) {
    this.projects = free.projects;
    this.webhooks = free.webhooks;
    this.operations = free.operations;
    this.events = free.events;
    this.deliveries = free.deliveries;
    this.workers = free.workers;
    this.retention = free.retention;
    this.batches = free.batches;
    this.batchLines = free.batchLines;
    this.files = free.files;
    this.signingKeys = free.signingKeys;
    this.interactions = free.interactions;
    this.videos = free.videos;
    this.stats = free.stats;
    this.idempotency = free.idempotency;
    this.portalLinks = free.portalLinks;
  }
}
