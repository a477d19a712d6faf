import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import type { Migration, MigrationStatus } from "../migrations.js";
import type { Store, StoreAggregates } from "../store.js";
import { SqliteBatches } from "./batches.js";
import { SqliteBatchLines } from "./batch-lines.js";
import { type CheckpointObserver, type CheckpointOptions, Checkpointer, DEFAULT_CHECKPOINTS } from "./checkpointer.js";
import { freeRunner, holderRunner, SqliteConnection, type SqliteRunner } from "./connection.js";
import { SqlDeliveries } from "../sql/deliveries.js";
import { SqlEvents } from "../sql/events.js";
import { SqlRetention } from "../sql/retention.js";
import { SqlStats } from "../sql/stats.js";
import { SqlWorkers } from "../sql/workers.js";
import { sqliteClaimKeys } from "./claim.js";
import { SqliteFiles } from "./files.js";
import { SqliteIdempotency } from "./idempotency.js";
import { SqliteInteractions } from "./interactions.js";
import { applySqliteMigrations, sqliteMigrationStatus } from "./migrate.js";
import { SQLITE_MIGRATIONS } from "./migrations/index.js";
import { SqliteOperations } from "./operations.js";
import { SqliteProjects } from "./projects.js";
import { SqlitePortalLinks } from "./portal-links.js";
import { SqliteSigningKeys } from "./signing-keys.js";
import { SqliteVideos } from "./videos.js";
import { SqliteSqlDb } from "./sql-db.js";
import { SqliteWebhooks } from "./webhooks.js";

export interface SqliteStoreOptions {
  /**
   * NORMAL (the default) survives a crash of the process, which is what the at-least-once tests prove;
   * FULL also survives an OS crash or power loss, at the price of an fsync per commit.
   */
  synchronous?: "normal" | "full";
  /** For `migrate --status`: open without applying migrations. */
  migrate?: boolean;
  /** Time of the migration bookkeeping rows. */
  now: () => number;
  /** Tests only: a different migration list. */
  migrations?: readonly Migration[];
  /**
   * How the WAL is checkpointed (default DEFAULT_CHECKPOINTS). False: never, so the WAL only grows; for
   * `bench/store-counts.mjs`, which reads the WAL bytes a workload writes from the WAL's size.
   */
  checkpoints?: false | CheckpointOptions;
  /**
   * Told the WAL's size after each checkpoint, each restart's pause, and checkpoints that fail (a full disk) and work
   * again.
   */
  checkpointObserver?: CheckpointObserver;
}

function aggregates(runner: SqliteRunner): StoreAggregates {
  const db = new SqliteSqlDb(runner);
  return {
    projects: new SqliteProjects(runner),
    webhooks: new SqliteWebhooks(runner),
    operations: new SqliteOperations(runner),
    events: new SqlEvents(db),
    deliveries: new SqlDeliveries(db, sqliteClaimKeys),
    workers: new SqlWorkers(db),
    batches: new SqliteBatches(runner),
    batchLines: new SqliteBatchLines(runner),
    files: new SqliteFiles(runner),
    signingKeys: new SqliteSigningKeys(runner),
    interactions: new SqliteInteractions(runner),
    videos: new SqliteVideos(runner),
    retention: new SqlRetention(db),
    stats: new SqlStats(db),
    idempotency: new SqliteIdempotency(runner),
    portalLinks: new SqlitePortalLinks(runner),
  };
}

/**
 * The embedded driver: one database file in WAL mode, so the API reads while the delivery engine writes.
 * Its files are readable by this user alone: they hold API-key hashes, sealed secrets and payloads.
 */
export class SqliteStore implements Store {
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
  private readonly connection: SqliteConnection;
  private readonly inTransaction: StoreAggregates;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly migrations: readonly Migration[];

  constructor(path: string, options: SqliteStoreOptions) {
    createPrivately(path);
    this.connection = new SqliteConnection(path);
    const { db } = this.connection;
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("busy_timeout = 5000");
    db.pragma("foreign_keys = ON");
    db.pragma("wal_autocheckpoint = 0");
    // Once the WAL starts over (checkpointer.ts), its file is cut back to the size it is allowed to reach.
    db.pragma(`journal_size_limit = ${(options.checkpoints || DEFAULT_CHECKPOINTS).restartBytes}`);
    for (const suffix of ["-wal", "-shm"])
      if (path !== ":memory:" && existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
    this.migrations = options.migrations ?? SQLITE_MIGRATIONS;
    if (options.migrate !== false) applySqliteMigrations(db, this.migrations, options.now());
    const free = aggregates(freeRunner(this.connection));
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
    this.inTransaction = aggregates(holderRunner(this.connection));
    this.checkpointer =
      path === ":memory:" || options.checkpoints === false
        ? undefined
        : new Checkpointer(path, options.checkpoints ?? DEFAULT_CHECKPOINTS, options.checkpointObserver);
  }

  transaction<T>(work: (tx: StoreAggregates) => Promise<T>): Promise<T> {
    return this.connection.transaction(() => work(this.inTransaction));
  }

  migrationStatus(): MigrationStatus[] {
    return sqliteMigrationStatus(this.connection.db, this.migrations);
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    this.connection.close();
  }
}

/** The database file, made 0600 before SQLite opens it (its -wal and -shm files take the same mode). */
function createPrivately(path: string): void {
  if (path === ":memory:") return;
  if (existsSync(path)) chmodSync(path, 0o600);
  else closeSync(openSync(path, "a", 0o600));
}
