import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { createRemoteJWKSet, jwtVerify } from "jose";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseTooNewError } from "../../src/store/migrations.js";
import { POSTGRES_MIGRATIONS } from "../../src/store/postgres/migrations/index.js";
import { SQLITE_MIGRATIONS } from "../../src/store/sqlite/migrations/index.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { exited, spawnServer } from "../helpers/process.js";
import { startReceiver, type Received, type Receiver } from "../helpers/receiver.js";
import { PinnedClock, startTidings, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, "../fixtures/legacy-0.1");
const CLI = join(here, "../../dist/cli/main.js");
const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const run = promisify(execFile);

interface LegacyFixture {
  api_key: string;
  admin_key: string;
  master_key: string;
  second_project: { id: string; api_key: string };
  /**
   * When 0.1 wrote it: the test's server runs on a clock that starts there, so the fixture reads the same on any date.
   */
  written_at: string;
  /** The port of the receiver its webhooks point at: rewritten to this run's receiver before the server opens it. */
  receiver_port: number;
  webhooks: Record<"all" | "exports" | "off", { id: string; secrets: string[] }>;
  operations: Record<"finished" | "dynamic" | "running", string>;
  batch: string;
  signing_kids: string[];
}

const fixture = (name: "sqlite" | "postgres") =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")) as LegacyFixture;

let server: TestServer | undefined;
let receiver: Receiver | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  await receiver?.close();
  receiver = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function withPgClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh schema for one test, dropped afterwards; its URL puts the server's tables there. */
async function freshSchema(): Promise<{ schema: string; url: string }> {
  const schema = `tidings_migrate_${randomBytes(5).toString("hex")}`;
  cleanups.push(async () => {
    await withPgClient((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  });
  const url = new URL(DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return { schema, url: url.toString() };
}

/**
 * What a database written by Tidings 0.1 must still be, once this release has migrated it: its webhooks
 * sign with their old secrets, its signing key still signs, its keys still authenticate, and the
 * deliveries it left pending are sent.
 */
async function expectCarriedOver(legacy: LegacyFixture, s: TestServer, r: Receiver, clock: PinnedClock): Promise<void> {
  const verify = (secret: string, hit: Received) => verifyWithReferenceLibraries(secret, hit, clock.now());
  // The four deliveries 0.1 left pending (its receiver answered 500): two static, one dynamic, one batch event.
  const pending = await r.waitFor(4);
  const byPath = (path: string) => pending.filter((p) => p.path === path);
  expect(pending.map((p) => p.path).sort()).toEqual(["/all", "/all", "/dynamic", "/exports"]);
  for (const hit of byPath("/all")) verify(legacy.webhooks.all.secrets[0]!, hit);
  // Rotated with a 24 h overlap in 0.1: both its secrets still sign.
  for (const secret of legacy.webhooks.exports.secrets) verify(secret, byPath("/exports")[0]!);
  const [dynamic] = byPath("/dynamic");
  const token = dynamic!.headers["webhook-signature"] as string;
  const { payload, protectedHeader } = await jwtVerify(
    token,
    createRemoteJWKSet(new URL(`${s.url}/.well-known/jwks.json`)),
    {
      audience: `${new URL(r.url).origin}/dynamic`,
      currentDate: new Date(clock.now()),
    },
  );
  expect(legacy.signing_kids).toContain(protectedHeader.kid);
  expect(payload.jti).toBe(dynamic!.headers["webhook-id"]);
  expect(JSON.parse(dynamic!.body)).toMatchObject({
    type: "render.failed",
    data: { user_metadata: { order: "o-42" } },
  });

  // Each pending delivery became one success with its earlier failed attempts kept.
  const delivered = await s.api("GET", `/v1/webhooks/${legacy.webhooks.all.id}/deliveries`, undefined, legacy.api_key);
  await expect
    .poll(
      async () =>
        (
          await s.api(
            "GET",
            `/v1/webhooks/${legacy.webhooks.all.id}/deliveries?state=succeeded`,
            undefined,
            legacy.api_key,
          )
        ).body.deliveries?.length ?? 0,
    )
    .toBe(2);
  expect(delivered.body.deliveries.every((d: { attempts: unknown[] }) => d.attempts.length >= 2)).toBe(true);

  // Everything else is as 0.1 left it.
  const hooks = (await s.api("GET", "/v1/webhooks", undefined, legacy.api_key)).body.webhooks as {
    id: string;
    state: string;
    signing_secrets: unknown[];
  }[];
  expect(hooks.map((h) => [h.id, h.state]).sort()).toEqual(
    [
      [legacy.webhooks.all.id, "enabled"],
      [legacy.webhooks.exports.id, "enabled"],
      [legacy.webhooks.off.id, "disabled"],
    ].sort(),
  );
  expect(hooks.find((h) => h.id === legacy.webhooks.exports.id)!.signing_secrets).toHaveLength(2);
  expect((await s.api("GET", `/v1/${legacy.operations.running}`, undefined, legacy.api_key)).body).toMatchObject({
    done: false,
  });
  expect((await s.api("GET", `/v1/${legacy.operations.dynamic}`, undefined, legacy.api_key)).body).toMatchObject({
    done: true,
    error: { code: 13 },
  });
  expect((await s.api("GET", `/v1/${legacy.batch}`, undefined, legacy.api_key)).body.metadata.state).toBe(
    "BATCH_STATE_SUCCEEDED",
  );
  expect((await s.api("GET", "/v1/events", undefined, legacy.api_key)).body.events).toHaveLength(3);
  // An API key minted by 0.1 (only its hash is stored) still authenticates, for its own project only.
  expect((await s.api("GET", "/v1/webhooks", undefined, legacy.second_project.api_key)).body.webhooks ?? []).toEqual(
    [],
  );

  // New work on the migrated database: a ping signs with the webhook's old secret.
  await s.api("POST", `/v1/webhooks/${legacy.webhooks.all.id}:ping`, {}, legacy.api_key);
  const [ping] = (await r.waitFor(5)).slice(4);
  verify(legacy.webhooks.all.secrets[0]!, ping!);
}

describe("migrations", () => {
  it("opens a SQLite database written by Tidings 0.1 and loses nothing", async () => {
    const legacy = fixture("sqlite");
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-legacy-"));
    copyFileSync(join(FIXTURES, "sqlite.db"), join(dataDir, "tidings.db"));
    receiver = await startReceiver();
    pointAtReceiver(join(dataDir, "tidings.db"), legacy, receiver);
    const clock = new PinnedClock(Date.parse(legacy.written_at));
    server = await startTidings({
      dataDir,
      clock,
      env: {
        TIDINGS_MASTER_KEY: legacy.master_key,
        TIDINGS_API_KEY: legacy.api_key,
        TIDINGS_ADMIN_KEY: legacy.admin_key,
      },
    });
    await expectCarriedOver(legacy, server, receiver, clock);
    const db = new Database(join(dataDir, "tidings.db"), { readonly: true });
    expect(db.prepare("SELECT version FROM schema_migrations ORDER BY version").all()).toEqual(
      SQLITE_MIGRATIONS.map(({ version }) => ({ version })),
    );
    db.close();
  });

  it("opens a PostgreSQL database written by Tidings 0.1 and loses nothing", async () => {
    const legacy = fixture("postgres");
    const { schema, url } = await freshSchema();
    // The dump names its schema; load it under a fresh one, through the pg driver.
    receiver = await startReceiver();
    const dump = readFileSync(join(FIXTURES, "postgres.sql"), "utf8")
      .replaceAll("tidings_legacy_fixture", schema)
      .replaceAll(legacyReceiver(legacy), new URL(receiver.url).host);
    await withPgClient((c) => c.query(dump));
    const clock = new PinnedClock(Date.parse(legacy.written_at));
    server = await startTidings({
      clock,
      env: {
        TIDINGS_DATABASE_URL: url,
        TIDINGS_MASTER_KEY: legacy.master_key,
        TIDINGS_API_KEY: legacy.api_key,
        TIDINGS_ADMIN_KEY: legacy.admin_key,
      },
    });
    await expectCarriedOver(legacy, server, receiver, clock);
    const versions = await withPgClient((c) =>
      c.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`),
    );
    expect(versions.rows).toEqual(POSTGRES_MIGRATIONS.map(({ version }) => ({ version })));
  });

  it("two processes starting at once on an empty PostgreSQL database both come up, and each migration runs once", async () => {
    const { schema, url } = await freshSchema();
    await withPgClient((c) => c.query(`CREATE SCHEMA ${schema}`));
    const env = {
      TIDINGS_DATABASE_URL: url,
      TIDINGS_MASTER_KEY: randomBytes(32).toString("base64"),
      TIDINGS_DATA_DIR: mkdtempSync(join(tmpdir(), "tidings-two-")),
    };
    const started = await Promise.all([0, 1].map(() => spawnServer(env)));
    cleanups.push(async () => {
      for (const { child } of started) {
        child.kill("SIGTERM");
        await exited(child);
      }
    });
    const rows = await withPgClient((c) =>
      c.query(`SELECT version, applied_at FROM ${schema}.schema_migrations ORDER BY version`),
    );
    expect(rows.rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    // Applied in one transaction by one of them.
    expect(new Set(rows.rows.map((r) => r.applied_at)).size).toBe(1);
  });

  it("refuses a database that a newer release migrated, saying so", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-newer-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    await new SqliteStore(join(dataDir, "tidings.db"), { now: () => 0 }).close();
    const db = new Database(join(dataDir, "tidings.db"));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)").run();
    db.close();
    expect(() => new SqliteStore(join(dataDir, "tidings.db"), { now: () => 0 })).toThrow(DatabaseTooNewError);
    const failed = await run(process.execPath, [CLI, "serve"], {
      env: { ...process.env, TIDINGS_DATA_DIR: dataDir, TIDINGS_PORT: "0" },
    }).catch((err: { stderr: string; code: number }) => err);
    expect("code" in failed && failed.code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain(
      `schema version 99, newer than this release of Tidings knows (${Math.max(...SQLITE_MIGRATIONS.map((m) => m.version))})`,
    );
  });

  it("tidings migrate applies pending migrations, and --status lists them without changing anything", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-migrate-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    copyFileSync(join(FIXTURES, "sqlite.db"), join(dataDir, "tidings.db"));
    const before = await run(process.execPath, [CLI, "migrate", "--status", "--data-dir", dataDir]);
    expect(before.stdout).toMatch(/^0001 {2}baseline +pending\n0002 {2}lease columns +pending\n/);
    expect(before.stdout).toContain(`${SQLITE_MIGRATIONS.length} pending`);
    const applied = await run(process.execPath, [CLI, "migrate", "--data-dir", dataDir]);
    expect(applied.stdout).toMatch(/0002 {2}lease columns +applied \S+ {2}\(now\)/);
    const after = await run(process.execPath, [CLI, "migrate", "--status", "--data-dir", dataDir]);
    expect(after.stdout).toMatch(/0 pending/);
  });
});

/**
 * `host:port` of the receiver 0.1 sent to while the fixture was made: its webhooks, deliveries and webhook_configs name
 * it.
 */
function legacyReceiver(legacy: LegacyFixture): string {
  return `127.0.0.1:${legacy.receiver_port}`;
}

/** Points what the SQLite fixture sends to at this run's receiver (listening on a port the system chose). */
function pointAtReceiver(path: string, legacy: LegacyFixture, r: Receiver): void {
  const db = new Database(path);
  const rewrite = (table: string, column: string) =>
    db
      .prepare(`UPDATE ${table} SET ${column} = replace(${column}, ?, ?)`)
      .run(legacyReceiver(legacy), new URL(r.url).host);
  rewrite("webhooks", "uri");
  rewrite("deliveries", "uri");
  rewrite("deliveries", "endpoint_key");
  rewrite("operations", "webhook_config");
  db.close();
}
