import pg from "pg";
import type { Migration, MigrationStatus } from "../migrations.js";
import type { Store, StoreAggregates } from "../store.js";
import { AggregateFields, type DriverStatements, sqlAggregates } from "../sql/aggregates.js";
import type { SqlDb } from "../sql/db.js";
import { postgresBatchLineWrites } from "./batch-lines.js";
import { postgresClaimKeys } from "./claim.js";
import { inTransaction, PgExecutor } from "./executor.js";
import { applyPostgresMigrations, lockMigrations, postgresMigrationStatus } from "./migrate.js";
import { POSTGRES_MIGRATIONS } from "./migrations/index.js";
import { API_KEYS_CHANNEL, DELIVERIES_CHANNEL, NotificationListener } from "./notify.js";
import { postgresConfigureApiKey } from "./projects.js";
import { PgSqlDb } from "./sql-db.js";
import { postgresSettle } from "./settle.js";

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

/**
 * A rotation's transaction takes the table's lock: two rotating at once would each retire only the keys committed
 * before they started and leave two current keys (readers are not blocked).
 */
const serialiseRotations = async (db: SqlDb): Promise<void> => {
  await db.run("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE");
};

/** What PostgreSQL does its own way (docs/store.md: statements written once). */
const POSTGRES: DriverStatements = {
  claimKeys: postgresClaimKeys,
  settle: postgresSettle,
  batchLineWrites: postgresBatchLineWrites,
  configureApiKey: postgresConfigureApiKey,
  onQueued: notifyQueued,
  serialiseRotations,
};

const aggregates = (executor: PgExecutor): StoreAggregates => sqlAggregates(new PgSqlDb(executor), POSTGRES);

/**
 * The shared driver: any number of `tidings serve` processes use one database and split the work.
 * pg returns BIGINT columns as strings; the row mappers Number() them, so no global type parser is set.
 */
export class PostgresStore extends AggregateFields implements Store {
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
    super(aggregates(new PgExecutor(pool, onRoundTrip, pool)));
  }

  /** Connects, creates the schema if one is named, and applies pending migrations (unless told not to). */
  static async connect(url: string, options: PostgresStoreOptions): Promise<PostgresStore> {
    const clientConfig = connectionConfig(url, options.schema);
    const pool = new pg.Pool({
      ...clientConfig,
      max: options.maxConnections,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A statement is written as soon as it is asked for, not when the one before it is answered: a transaction's
      // BEGIN and its first statement, or two statements of a transaction asked for together, share a round trip.
      pipeline: true,
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

/**
 * The pool's connection settings: JIT compilation off, custom plans always, and the search_path pointing at `schema`
 * when one is given (docs/store.md: PostgreSQL's planner).
 * - JIT goes because the delivery claim's estimated cost passes `jit_above_cost` once about 100,000 deliveries are
 *   queued, and compiling it then took 230 ms for 20 ms of work, every claim: a backlog of a million drained at a
 *   tenth of its speed. Every statement here is short; none gains from JIT.
 * - Statements are prepared once per connection (executor.ts), and PostgreSQL would move a prepared statement to a
 *   generic plan after five runs: one that cannot see the list's length in `id = ANY($1)` and scans. Each run is
 *   planned for its own parameters; what preparing saves is the parsing and analysis.
 */
export function connectionConfig(url: string, schema: string | undefined): pg.ClientConfig {
  const settings = ["-c jit=off", "-c plan_cache_mode=force_custom_plan"];
  if (schema !== undefined) {
    // Interpolated into SQL and into the startup options, so only plain lower-case identifiers (which
    // also need no quoting, and so mean the same in both places).
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`PostgreSQL schema "${schema}": use lower-case letters, digits and underscores`);
    }
    settings.push(`-c search_path=${schema}`);
  }
  // A connection string's own `options` override the config's in pg, so the settings go into the URL; the
  // string's own options come last, so that a setting it names wins.
  const parsed = new URL(url);
  const options = [...settings, parsed.searchParams.get("options")].filter(Boolean).join(" ");
  parsed.searchParams.set("options", options);
  return { connectionString: parsed.toString() };
}
