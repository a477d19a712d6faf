/**
 * The schema every migration makes, committed per driver beside this file (schema.sqlite.sql,
 * schema.postgres.sql): a new migration changes its driver's snapshot in the same commit, so review sees what
 * the schema becomes, not only the statements that get it there (docs/store.md: migrations).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { postgresSchema, sqliteSchema } from "../helpers/schema-dump.js";

const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const T0 = Date.parse("2026-05-04T12:00:00Z");
const REFRESH_COMMAND = "npm run test:store -- packages/server/test/store/schema-snapshot.test.ts -u";
const REFRESH =
  "the migrations make another schema than the committed one. If that is the change you meant, refresh the snapshot " +
  `with \`${REFRESH_COMMAND}\` and commit it with the migration`;

/** The snapshot file: what it is and how to refresh it, then the schema. */
const snapshot = (driver: "sqlite" | "postgres", schema: string) =>
  `-- The schema of a fresh database after every migration in packages/server/src/store/${driver}/migrations/.\n` +
  `-- Written by schema-snapshot.test.ts, never by hand: ${REFRESH_COMMAND}\n\n${schema}\n`;

describe("the schema a fresh database gets from every migration", () => {
  it("is schema.sqlite.sql on SQLite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidings-schema-"));
    try {
      const path = join(dir, "tidings.db");
      await new SqliteStore(path, { now: () => T0 }).close();
      const db = new Database(path, { readonly: true });
      try {
        await expect(snapshot("sqlite", sqliteSchema(db))).toMatchFileSnapshot("schema.sqlite.sql", REFRESH);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is schema.postgres.sql on PostgreSQL", async () => {
    const schema = `tidings_schema_${randomBytes(6).toString("hex")}`;
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await (await PostgresStore.connect(DATABASE_URL, { schema, now: () => T0 })).close();
      await expect(snapshot("postgres", await postgresSchema(client, schema))).toMatchFileSnapshot(
        "schema.postgres.sql",
        REFRESH,
      );
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });
});
