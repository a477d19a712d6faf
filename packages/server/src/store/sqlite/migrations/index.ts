import { readMigrations } from "../../migration-files.js";
import type { Migration } from "../../migrations.js";

/**
 * Every SQLite migration: the NNNN-name.sql files beside this one. tsc copies no .sql into dist/, so this path
 * climbs from src/ or dist/ alike to the package and down into src/, which is why the Dockerfile and the package's
 * "files" ship these folders (docs/store.md: migrations).
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = readMigrations(
  new URL("../../../../src/store/sqlite/migrations/", import.meta.url),
);
