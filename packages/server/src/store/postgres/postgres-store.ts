import pg from "pg";
import type { Migration, MigrationStatus } from "../migrations.js";
import type { Store, StoreAggregates } from "../store.js";
import { PgBatches } from "./batches.js";
import { PgDeliveries } from "./deliveries.js";
import { PgEvents } from "./events.js";
import { inTransaction, PgExecutor } from "./executor.js";
import { PgFiles } from "./files.js";
import { PgInteractions } from "./interactions.js";
import { applyPostgresMigrations, lockMigrations, postgresMigrationStatus } from "./migrate.js";
import { POSTGRES_MIGRATIONS } from "./migrations/index.js";
import { DeliveriesListener } from "./notify.js";
import { PgOperations } from "./operations.js";
import { PgProjects } from "./projects.js";
import { PgPortalLinks } from "./portal-links.js";
import { PgSigningKeys } from "./signing-keys.js";
import { PgVideos } from "./videos.js";
import { PgStats } from "./stats.js";
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

function aggregates(db: PgExecutor): StoreAggregates {
  return {
    projects: new PgProjects(db),
    webhooks: new PgWebhooks(db),
    operations: new PgOperations(db),
    events: new PgEvents(db),
    deliveries: new PgDeliveries(db),
    batches: new PgBatches(db),
    files: new PgFiles(db),
    signingKeys: new PgSigningKeys(db),
    interactions: new PgInteractions(db),
    videos: new PgVideos(db),
    stats: new PgStats(db),
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
  readonly batches: StoreAggregates["batches"];
  readonly files: StoreAggregates["files"];
  readonly signingKeys: StoreAggregates["signingKeys"];
  readonly interactions: StoreAggregates["interactions"];
  readonly videos: StoreAggregates["videos"];
  readonly stats: StoreAggregates["stats"];
  readonly portalLinks: StoreAggregates["portalLinks"];

  private constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    private readonly onRoundTrip: () => void,
    private readonly migrations: readonly Migration[],
    /** False for a view made by `countingAs`: the pool belongs to the store it came from. */
    private readonly ownsPool = true,
  ) {
    const free = aggregates(new PgExecutor(pool, onRoundTrip, pool));
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
  }

  /** Connects, creates the schema if one is named, and applies pending migrations (unless told not to). */
  static async connect(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const clientConfig = connectionConfig(url, options.schema);
    const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    // An idle connection that drops emits 'error' on the pool, which would otherwise crash the process;
    // the pool discards that connection and the next query opens a new one.
    pool.on("error", () => {});
    const store = new PostgresStore(pool, clientConfig, options.onRoundTrip ?? (() => {}), options.migrations ?? POSTGRES_MIGRATIONS);
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

  /** The same store on the same pool, counting its round trips with `onRoundTrip`: the delivery engine's share is measured apart. */
  countingAs(onRoundTrip: () => void): PostgresStore {
    return new PostgresStore(this.pool, this.clientConfig, onRoundTrip, this.migrations, false);
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
  async listenForDeliveries(onNotify: () => void): Promise<() => Promise<void>> {
    const listener = new DeliveriesListener(this.clientConfig, onNotify);
    await listener.start();
    return () => listener.stop();
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
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
