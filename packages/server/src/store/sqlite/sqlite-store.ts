import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import type { Migration, MigrationStatus } from "../migrations.js";
import type { Store, StoreAggregates } from "../store.js";
import { SqliteBatches } from "./batches.js";
import { Checkpointer } from "./checkpointer.js";
import { freeRunner, holderRunner, SqliteConnection, type SqliteRunner } from "./connection.js";
import { SqliteDeliveries } from "./deliveries.js";
import { SqliteEvents } from "./events.js";
import { SqliteFiles } from "./files.js";
import { SqliteInteractions } from "./interactions.js";
import { applySqliteMigrations, sqliteMigrationStatus } from "./migrate.js";
import { SQLITE_MIGRATIONS } from "./migrations/index.js";
import { SqliteOperations } from "./operations.js";
import { SqliteProjects } from "./projects.js";
import { SqlitePortalLinks } from "./portal-links.js";
import { SqliteSigningKeys } from "./signing-keys.js";
import { SqliteVideos } from "./videos.js";
import { SqliteStats } from "./stats.js";
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
}

function aggregates(runner: SqliteRunner): StoreAggregates {
  return {
    projects: new SqliteProjects(runner),
    webhooks: new SqliteWebhooks(runner),
    operations: new SqliteOperations(runner),
    events: new SqliteEvents(runner),
    deliveries: new SqliteDeliveries(runner),
    batches: new SqliteBatches(runner),
    files: new SqliteFiles(runner),
    signingKeys: new SqliteSigningKeys(runner),
    interactions: new SqliteInteractions(runner),
    videos: new SqliteVideos(runner),
    stats: new SqliteStats(runner),
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
  readonly batches: StoreAggregates["batches"];
  readonly files: StoreAggregates["files"];
  readonly signingKeys: StoreAggregates["signingKeys"];
  readonly interactions: StoreAggregates["interactions"];
  readonly videos: StoreAggregates["videos"];
  readonly stats: StoreAggregates["stats"];
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
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    for (const suffix of ["-wal", "-shm"]) if (path !== ":memory:" && existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
    this.migrations = options.migrations ?? SQLITE_MIGRATIONS;
    if (options.migrate !== false) applySqliteMigrations(db, this.migrations, options.now());
    const free = aggregates(freeRunner(this.connection));
    this.projects = free.projects;
    this.webhooks = free.webhooks;
    this.operations = free.operations;
    this.events = free.events;
    this.deliveries = free.deliveries;
    this.batches = free.batches;
    this.files = free.files;
    this.signingKeys = free.signingKeys;
    this.interactions = free.interactions;
    this.videos = free.videos;
    this.stats = free.stats;
    this.portalLinks = free.portalLinks;
    this.inTransaction = aggregates(holderRunner(this.connection));
    this.checkpointer = path === ":memory:" ? undefined : new Checkpointer(path);
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
