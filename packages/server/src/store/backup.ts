import { join } from "node:path";
import { backupSqlite, type SqliteBackup } from "./sqlite/backup.js";

export type { SqliteBackup } from "./sqlite/backup.js";

/** The embedded database's file in a data dir. */
export function sqliteDatabasePath(dataDir: string): string {
  return join(dataDir, "tidings.db");
}

/**
 * An online, consistent copy of a data dir's SQLite database (`tidings backup`). PostgreSQL is backed up with pg_dump.
 */
export function backupDataDir(dataDir: string, out: string): Promise<SqliteBackup> {
  return backupSqlite(sqliteDatabasePath(dataDir), out);
}
