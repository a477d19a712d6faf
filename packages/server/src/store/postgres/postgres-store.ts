import pg from "pg";
import type { Migration, MigrationStatus } from "../migrations.js";
import type { Store, StoreAggregates } from "../store.js";
import { PgBatches } from "./batches.js";
import { SqlDeliveries } from "../sql/deliveries.js";
import type { SqlDb } from "../sql/db.js";
import { SqlEvents } from "../sql/events.js";
import { SqlRetention } from "../sql/retention.js";
import { SqlStats } from "../sql/stats.js";
import { SqlWorkers } from "../sql/workers.js";
import { PgBatchLines } from "./batch-lines.js";
import { postgresClaimKeys } from "./claim.js";
import { inTransaction, PgExecutor } from "./executor.js";
import { PgFiles } from "./files.js";
import { PgIdempotency } from "./idempotency.js";
import { PgInteractions } from "./interactions.js";
import { applyPostgresMigrations, lockMigrations, postgresMigrationStatus } from "./migrate.js";
import { POSTGRES_MIGRATIONS } from "./migrations/index.js";
import { API_KEYS_CHANNEL, DELIVERIES_CHANNEL, NotificationListener } from "./notify.js";
import { PgOperations } from "./operations.js";
import { PgProjects } from "./projects.js";
import { PgPortalLinks } from "./portal-links.js";
import { PgSigningKeys } from "./signing-keys.js";
import { PgVideos } from "./videos.js";
import { PgSqlDb } from "./sql-db.js";
import { PgWebhooks } from "./webhooks.js";

export interface PostgresStoreOptions {
  /** Keep the tables in this schema (created if missing) instead of the connection's default search_path. */
  schema?: string;
  /** Pool size; pg's default is 10. */
  maxConnections?: number;
  /** For `migrate --status`: connect without applying migrations. */
  migrate?: boolean;
  /** Time of the migration bookkeeping rows. */
  now: () => number;
  /** Called once per statement sent: the benchmarks count round trips per delivery. */
  onRoundTrip?: () => void;
  /** Tests only: a different migration list. */
  migrations?: readonly Migration[];
}

/** A connection that cannot be made within this is a database out of reach, not a request to wait for. */
const CONNECT_TIMEOUT_MS = 5_000;

/** Inside the transaction that queues deliveries: the other processes' engines wake when it commits. */
const notifyQueued = async (db: SqlDb): Promise<void> => {
  await db.run(`SELECT pg_notify('${DELIVERIES_CHANNEL}', current_schema())`);
};

function aggregates(db: PgExecutor): StoreAggregates {
  const sql = new PgSqlDb(db);
  return {
    projects: new PgProjects(db),
    webhooks: new PgWebhooks(db),
    operations: new PgOperations(db),
    events: new SqlEvents(sql),
    deliveries: new SqlDeliveries(sql, postgresClaimKeys, notifyQueued),
    workers: new SqlWorkers(sql, notifyQueued),
    batches: new PgBatches(db),
    batchLines: new PgBatchLines(db),
    files: new PgFiles(db),
    signingKeys: new PgSigningKeys(db),
    interactions: new PgInteractions(db),
    videos: new PgVideos(db),
    retention: new SqlRetention(sql),
    stats: new SqlStats(sql),
    idempotency: new PgIdempotency(db),
    portalLinks: new PgPortalLinks(db),
  };
}

/**
 * The shared driver: any number of `tidings serve` processes use one database and split the work.
 * pg returns BIGINT columns as strings; the row mappers Number() them, so no global type parser is set.
 */
export class PostgresStore implements Store {
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

  private constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    private readonly onRoundTrip: () => void,
    private readonly migrations: readonly Migration[],
    /** False for a view made by `countingAs`: the pool belongs to the store it came from. */
    private readonly ownsPool = true,
    /** One LISTEN connection for the whole process, shared with the views made by `countingAs`. */
    private readonly notifications = new NotificationListener(clientConfig),
  ) {
    const free = aggregates(new PgExecutor(pool, onRoundTrip, pool));
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

  /** Connects, creates the schema if one is named, and applies pending migrations (unless told not to). */
  static async connect(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const clientConfig = connectionConfig(url, options.schema);
    const pool = new pg.Pool({
      ...clientConfig,
      max: options.maxConnections,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // An idle connection that drops emits 'error' on the pool, which would otherwise crash the process;
    // the pool discards that connection and the next query opens a new one.
    pool.on("error", () => {});
    const store = new PostgresStore(
      pool,
      clientConfig,
      options.onRoundTrip ?? (() => {}),
      options.migrations ?? POSTGRES_MIGRATIONS,
    );
    try {
      const { schema } = options;
      if (schema !== undefined || options.migrate !== false) {
        await store.transactionOn(async (db) => {
          // Under the migration lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
          await lockMigrations(db);
          if (schema !== undefined) await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
          if (options.migrate !== false) await applyPostgresMigrations(db, store.migrations, options.now());
        });
      }
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  /**
   * The same store on the same pool, counting its round trips with `onRoundTrip`: the delivery engine's share is
   * measured apart.
   */
  countingAs(onRoundTrip: () => void): PostgresStore {
    return new PostgresStore(this.pool, this.clientConfig, onRoundTrip, this.migrations, false, this.notifications);
  }

  transaction<T>(work: (tx: StoreAggregates) => Promise<T>): Promise<T> {
    return this.transactionOn((db) => work(aggregates(db)));
  }

  migrationStatus(): Promise<MigrationStatus[]> {
    return postgresMigrationStatus(new PgExecutor(this.pool, this.onRoundTrip), this.migrations);
  }

  /**
   * Calls `onNotify` whenever a commit, in any process sharing this database and schema, makes deliveries
   * due. Resolves once listening; the returned function stops.
   */
  listenForDeliveries(onNotify: () => void): Promise<() => Promise<void>> {
    return this.notifications.subscribe(DELIVERIES_CHANNEL, onNotify);
  }

  /**
   * Calls `onChange` whenever an API key is deleted or signed out, in any process sharing this database and schema
   * (or by hand), and after the listening connection comes back. Resolves once listening; the returned function stops.
   */
  listenForApiKeyChanges(onChange: () => void): Promise<() => Promise<void>> {
    return this.notifications.subscribe(API_KEYS_CHANNEL, onChange);
  }

  async close(): Promise<void> {
    if (this.ownsPool) {
      await this.notifications.stop();
      await this.pool.end();
    }
  }

  private transactionOn<T>(work: (db: PgExecutor) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, this.onRoundTrip, work);
  }
}

/** The pool's connection settings, with the search_path pointing at `schema` when one is given. */
function connectionConfig(url: string, schema: string | undefined): pg.ClientConfig {
  if (schema === undefined) return { connectionString: url };
  // Interpolated into SQL and into the startup options, so only plain lower-case identifiers (which
  // also need no quoting, and so mean the same in both places).
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`PostgreSQL schema "${schema}": use lower-case letters, digits and underscores`);
  }
  // A connection string's own `options` override the config's in pg, so the search_path goes into the
  // URL, after any options it already has.
  const parsed = new URL(url);
  const options = [parsed.searchParams.get("options"), `-c search_path=${schema}`].filter(Boolean).join(" ");
  parsed.searchParams.set("options", options);
  return { connectionString: parsed.toString() };
}
