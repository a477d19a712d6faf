import { readdirSync, readFileSync } from "node:fs";
import type { Migration } from "./migrations.js";

/** `0002-lease-columns.sql`: version 2, recorded in schema_migrations as "lease columns". */
const MIGRATION_FILE = /^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.sql$/;

/**
 * A driver's migrations: the `NNNN-name.sql` files in `folder`, in number order (docs/store.md: migrations).
 * The numbers must run 1, 2, 3 … with no gap and no repeat: a file lost from a build, or two branches that took
 * the same number, stop the process before it touches a database.
 */
export function readMigrations(folder: URL): Migration[] {
  const files = readdirSync(folder)
    .filter((file) => file.endsWith(".sql"))
    .sort();
  return files.map((file, index) => {
    const match = MIGRATION_FILE.exec(file);
    if (match === null) throw new Error(`${file} in ${folder.pathname}: a migration is named NNNN-lowercase-words.sql`);
    const version = Number(match[1]);
    if (version !== index + 1) {
      throw new Error(`${file} in ${folder.pathname}: migration ${index + 1} is missing or has two files`);
    }
    return { version, name: match[2]!.replaceAll("-", " "), sql: readFileSync(new URL(file, folder), "utf8") };
  });
}
