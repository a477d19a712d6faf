import { migrationStatus, pendingMigrations, type Migration, type MigrationStatus } from "../migrations.js";
import { ms, type PgExecutor } from "./executor.js";

/** Serialises migrations across processes starting together: "tidi" in ASCII. */
const MIGRATION_LOCK = 0x7469_6469;

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/**
 * Applies what is pending in one transaction under an advisory lock: processes starting together on one
 * database take turns, and the second finds nothing left to do. Returns what it applied.
 */
export async function applyPostgresMigrations(
  db: PgExecutor,
  migrations: readonly Migration[],
  now: number,
): Promise<Migration[]> {
  await lockMigrations(db);
  await db.query(BOOKKEEPING);
  const applied = (await db.all<{ version: number }>("SELECT version FROM schema_migrations")).map((r) =>
    Number(r.version),
  );
  const todo = pendingMigrations(applied, migrations);
  for (const migration of todo) {
    await db.query(migration.sql);
    await db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
      migration.version,
      migration.name,
      ms(now),
    ]);
  }
  return todo;
}

/** Held until the transaction ends; taking it twice in one transaction is fine. */
export async function lockMigrations(db: PgExecutor): Promise<void> {
  await db.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
}

export async function postgresMigrationStatus(
  db: PgExecutor,
  migrations: readonly Migration[],
): Promise<MigrationStatus[]> {
  const exists = await db.first(
    "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
  );
  const rows = exists
    ? await db.all<{ version: number; applied_at: string }>("SELECT version, applied_at FROM schema_migrations")
    : [];
  pendingMigrations(
    rows.map((r) => Number(r.version)),
    migrations,
  );
  return migrationStatus(new Map(rows.map((r) => [Number(r.version), Number(r.applied_at)])), migrations);
}
