import { join } from "node:path";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export interface OpenedStore {
  store: Store;
  /** True when this process is the only one using the store (embedded SQLite): it owns every lease. */
  exclusive: boolean;
  /** Wakes `onDue` when another process commits deliveries; a no-op for a store only this process uses. */
  watchDeliveries(onDue: () => void): Promise<() => Promise<void>>;
}

/** PostgreSQL when a URL is configured (shared by any number of processes), else SQLite in the data dir. */
export async function openStore(databaseUrl: string | undefined, dataDir: string, sqliteSynchronous: "normal" | "full"): Promise<OpenedStore> {
  if (databaseUrl !== undefined) {
    const store = await PostgresStore.connect(databaseUrl);
    return { store, exclusive: false, watchDeliveries: (onDue) => store.listenForDeliveries(onDue) };
  }
  const store = new SqliteStore(join(dataDir, "tidings.db"), sqliteSynchronous);
  return { store, exclusive: true, watchDeliveries: async () => async () => {} };
}
