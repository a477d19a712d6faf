import { sqliteDatabasePath } from "./backup.js";
import type { MigrationStatus } from "./migrations.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import type { CheckpointObserver } from "./sqlite/checkpointer.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";

export type { CheckpointObserver } from "./sqlite/checkpointer.js";
import type { Store } from "./store.js";

export interface StoreLocation {
  /** `postgres://…`: shared by any number of processes. Absent: SQLite in the data dir, this process's alone. */
  databaseUrl?: string;
  dataDir: string;
  sqliteSynchronous: "normal" | "full";
}

export interface OpenStoreOptions {
  /** False for `tidings migrate --status`: look, change nothing. */
  migrate?: boolean;
  now: () => number;
  /**
   * Counts PostgreSQL round trips, the delivery engine's apart from the rest (the benchmarks report them per delivery).
   */
  onRoundTrip?: (by: "api" | "delivery") => void;
  /** SQLite: told of the WAL's size, its restarts, and checkpoints that fail (a full disk) and work again. */
  checkpoints?: CheckpointObserver;
}

export interface OpenedStore {
  store: Store;
  /** The same store, for the delivery engine: its round trips are counted apart. */
  deliveryStore: Store;
  /** True when this process is the only one using the store (embedded SQLite): it owns every lease. */
  exclusive: boolean;
  /** Wakes `onDue` when another process commits deliveries; a no-op for a store only this process uses. */
  watchDeliveries(onDue: () => void): Promise<() => Promise<void>>;
  /**
   * Calls `onChange` when another process (or a person) revokes an API key; a no-op for a store only this process uses.
   */
  watchApiKeys(onChange: () => void): Promise<() => Promise<void>>;
  migrationStatus(): Promise<MigrationStatus[]>;
}

/** Opens the configured database and brings its schema up to date (numbered migrations, under a lock). */
export async function openStore(location: StoreLocation, options: OpenStoreOptions): Promise<OpenedStore> {
  if (location.databaseUrl !== undefined) {
    const count = options.onRoundTrip;
    const store = await PostgresStore.connect(location.databaseUrl, {
      ...options,
      onRoundTrip: count && (() => count("api")),
    });
    return {
      store,
      deliveryStore: store.countingAs(count ? () => count("delivery") : () => {}),
      exclusive: false,
      watchDeliveries: (onDue) => store.listenForDeliveries(onDue),
      watchApiKeys: (onChange) => store.listenForApiKeyChanges(onChange),
      migrationStatus: () => store.migrationStatus(),
    };
  }
  const store = new SqliteStore(sqliteDatabasePath(location.dataDir), {
    synchronous: location.sqliteSynchronous,
    migrate: options.migrate,
    now: options.now,
    checkpointObserver: options.checkpoints,
  });
  return {
    store,
    deliveryStore: store,
    exclusive: true,
    watchDeliveries: async () => async () => {},
    watchApiKeys: async () => async () => {},
    migrationStatus: async () => store.migrationStatus(),
  };
}
