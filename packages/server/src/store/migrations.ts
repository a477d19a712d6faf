/**
 * One numbered schema change, a file `NNNN-name.sql` (migration-files.ts). Each driver has its own list, in order,
 * starting at 1.
 */
export interface Migration {
  version: number;
  /** What schema_migrations records: the file's name without its number, dashes as spaces. */
  name: string;
  /** Statements run in one transaction with the bookkeeping row. */
  sql: string;
}

export interface MigrationStatus {
  version: number;
  name: string;
  /** Absent while pending. */
  appliedAt?: number;
}

/** The database was migrated by a newer release: running this one on it could corrupt it. */
export class DatabaseTooNewError extends Error {
  constructor(databaseVersion: number, knownVersion: number) {
    super(
      `the database is at schema version ${databaseVersion}, newer than this release of Tidings knows (${knownVersion}): ` +
        "it was migrated by a newer release. Run that release (or newer) against it; this one refuses to start rather than corrupt it.",
    );
    this.name = "DatabaseTooNewError";
  }
}

/** The migrations still to apply, in order; refuses a database that has seen migrations this release does not know. */
export function pendingMigrations(applied: readonly number[], available: readonly Migration[]): Migration[] {
  const known = Math.max(0, ...available.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) throw new DatabaseTooNewError(newest, known);
  const done = new Set(applied);
  return available.filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version);
}

/** What `tidings migrate --status` shows: every known migration, applied or pending. */
export function migrationStatus(
  applied: ReadonlyMap<number, number>,
  available: readonly Migration[],
): MigrationStatus[] {
  return available.map((m) => ({
    version: m.version,
    name: m.name,
    ...(applied.has(m.version) ? { appliedAt: applied.get(m.version) } : {}),
  }));
}
