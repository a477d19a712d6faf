import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import type { Migration, MigrationStatus } from "../migrations.js";
import type { Store, StoreAggregates } from "../store.js";
import { type CheckpointObserver, type CheckpointOptions, Checkpointer, DEFAULT_CHECKPOINTS } from "./checkpointer.js";
import { freeRunner, holderRunner, LOCK_WAIT_MS, SqliteConnection, type SqliteRunner } from "./connection.js";
import { AggregateFields, type DriverStatements, sqlAggregates } from "../sql/aggregates.js";
import { settleInSteps } from "../sql/deliveries.js";
import { sqliteBatchLineWrites } from "./batch-lines.js";
import { sqliteClaimKeys } from "./claim.js";
import { applySqliteMigrations, sqliteMigrationStatus } from "./migrate.js";
import { SQLITE_MIGRATIONS } from "./migrations/index.js";
import { sqliteConfigureApiKey } from "./projects.js";
import { SqliteSqlDb } from "./sql-db.js";

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
  /** Tests only: how long a write waits for another connection's lock (default LOCK_WAIT_MS, 5 s), then 503. */
  lockWaitMs?: number;
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

/** What SQLite does its own way (docs/store.md: statements written once). */
const SQLITE: DriverStatements = {
  claimKeys: sqliteClaimKeys,
  settle: settleInSteps,
  batchLineWrites: sqliteBatchLineWrites,
  configureApiKey: sqliteConfigureApiKey,
};

const aggregates = (runner: SqliteRunner): StoreAggregates => sqlAggregates(new SqliteSqlDb(runner), SQLITE);

/**
 * The embedded driver: one database file in WAL mode, so the API reads while the delivery engine writes.
 * Its files are readable by this user alone: they hold API-key hashes, sealed secrets and payloads.
 */
export class SqliteStore extends AggregateFields implements Store {
  private readonly connection: SqliteConnection;
  private readonly inTransaction: StoreAggregates;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly migrations: readonly Migration[];

  constructor(path: string, options: SqliteStoreOptions) {
    const connection = openConnection(path, options);
    super(aggregates(freeRunner(connection)));
    this.connection = connection;
    this.migrations = options.migrations ?? SQLITE_MIGRATIONS;
    if (options.migrate !== false) applySqliteMigrations(connection.db, this.migrations, options.now());
    connection.waitForLocksOffTheEventLoop();
    this.inTransaction = aggregates(holderRunner(connection));
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

/** The connection to the database file, with the settings docs/store.md describes (group commit, the WAL). */
function openConnection(path: string, options: SqliteStoreOptions): SqliteConnection {
  createPrivately(path);
  const connection = new SqliteConnection(path, options.lockWaitMs);
  const { db } = connection;
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
  db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  db.pragma("foreign_keys = ON");
  db.pragma("wal_autocheckpoint = 0");
  // The WAL starts over past its bound (checkpointer.ts) and writes over its file, which keeps its length: that is
  // the bound and what was written before the restart came. The checkpoint thread empties a file longer than twice
  // the bound; should a write start the WAL over first, this cuts the file back to twice the bound in that commit.
  db.pragma(`journal_size_limit = ${2 * (options.checkpoints || DEFAULT_CHECKPOINTS).restartBytes}`);
  for (const suffix of ["-wal", "-shm"])
    if (path !== ":memory:" && existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
  return connection;
}

/** The database file, made 0600 before SQLite opens it (its -wal and -shm files take the same mode). */
function createPrivately(path: string): void {
  if (path === ":memory:") return;
  if (existsSync(path)) chmodSync(path, 0o600);
  else closeSync(openSync(path, "a", 0o600));
}
