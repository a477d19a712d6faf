import type { Clock } from "../../src/core/clock.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

/** A SQLite store in memory on `clock`'s time, holding one project: `projectId`, the default one. */
export async function memoryStoreWithProject(clock: Clock, projectId: string): Promise<SqliteStore> {
  const store = new SqliteStore(":memory:", { now: () => clock.now() });
  await store.projects.insert({ id: projectId, displayName: "p", isDefault: true, createdAt: clock.now() });
  return store;
}
