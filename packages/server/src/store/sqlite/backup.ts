import { chmodSync, closeSync, existsSync, openSync, rmSync } from "node:fs";
import Database from "better-sqlite3";

/** What a finished backup holds. */
export interface SqliteBackup {
  pages: number;
  bytes: number;
}

/**
 * Copies the database at `source` to `destination` with SQLite's online backup, while a server may be writing
 * to it. The copy is made in one step, which reads one snapshot: in WAL mode the server's writers go on
 * meanwhile, and the copy is consistent as of the moment it began (a backup in small steps restarts whenever
 * another connection writes, so under load it might never end). The file is this user's alone (0600), as the
 * database is, and is checked before it is reported done.
 */
export async function backupSqlite(source: string, destination: string): Promise<SqliteBackup> {
  if (!existsSync(source)) throw new Error(`there is no database at ${source}: is --data-dir the server's data dir?`);
  if (existsSync(destination))
    throw new Error(`${destination} already exists: a backup never overwrites a file; name a new one`);
  // Made private before SQLite writes a byte into it.
  closeSync(openSync(destination, "wx", 0o600));
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    await db.backup(destination, { progress: () => Number.MAX_SAFE_INTEGER });
  } catch (err) {
    rmSync(destination, { force: true });
    throw err;
  } finally {
    db.close();
  }
  chmodSync(destination, 0o600);
  const copy = new Database(destination, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new Error(`the backup at ${destination} failed SQLite's check: ${String(check)}`);
    const pages = copy.pragma("page_count", { simple: true }) as number;
    return { pages, bytes: pages * (copy.pragma("page_size", { simple: true }) as number) };
  } finally {
    copy.close();
  }
}
