import type Database from "better-sqlite3";
import { migrationStatus, pendingMigrations, type Migration, type MigrationStatus } from "../migrations.js";

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/**
 * Applies what is pending in one BEGIN IMMEDIATE transaction: processes starting together on one file
 * take turns on the write lock, and the second finds nothing left to do. Returns what it applied.
 */
export function applySqliteMigrations(
  db: Database.Database,
  migrations: readonly Migration[],
  now: number,
): Migration[] {
  return db
    .transaction(() => {
      db.exec(BOOKKEEPING);
      const applied = (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
        (r) => r.version,
      );
      const todo = pendingMigrations(applied, migrations);
      const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
      for (const migration of todo) {
        db.exec(migration.sql);
        record.run(migration.version, migration.name, now);
      }
      return todo;
    })
    .immediate();
}

export function sqliteMigrationStatus(db: Database.Database, migrations: readonly Migration[]): MigrationStatus[] {
  const exists =
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  const rows = exists
    ? (db.prepare("SELECT version, applied_at FROM schema_migrations").all() as {
        version: number;
        applied_at: number;
      }[])
    : [];
  pendingMigrations(
    rows.map((r) => r.version),
    migrations,
  );
  return migrationStatus(new Map(rows.map((r) => [r.version, r.applied_at])), migrations);
}
