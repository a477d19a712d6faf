import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { exited, spawnServer, type SpawnedServer } from "../helpers/process.js";
import { startReceiver } from "../helpers/receiver.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
const run = promisify(execFile);
const KEY = "backup-test-key";
const OPERATIONS = 200;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function call(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "x-goog-api-key": KEY, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(env: Record<string, string>): Promise<SpawnedServer> {
  const server = await spawnServer(env);
  cleanups.push(async () => {
    server.child.kill("SIGTERM");
    await exited(server.child);
  });
  return server;
}

describe("tidings backup", () => {
  it("a backup taken during 200 completes restores into a server that has the webhook and the operations", async () => {
    const dataDir = tempDir("tidings-backup-");
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const env = { TIDINGS_DEV: "1", TIDINGS_API_KEY: KEY };
    const server = await serve({ ...env, TIDINGS_DATA_DIR: dataDir });
    const webhook = await call(server.url, "POST", "/v1/webhooks", { uri: receiver.url, subscribed_events: ["*"] });
    const names: string[] = [];
    for (let i = 0; i < OPERATIONS; i += 20) {
      const created = await Promise.all(
        Array.from({ length: 20 }, () => call(server.url, "POST", "/v1/operations", { type: "job" })),
      );
      names.push(...created.map((op: { name: string }) => op.name));
    }

    // The completes run, 10 at a time, while the backup is taken: it starts once a quarter of them are acknowledged.
    const out = join(tempDir("tidings-backup-out-"), "tidings-backup.db");
    let acknowledged = 0;
    let backup: Promise<{ stdout: string }> | undefined;
    let acknowledgedBefore = 0;
    let acknowledgedAfter = 0;
    for (let i = 0; i < OPERATIONS; i += 10) {
      await Promise.all(names.slice(i, i + 10).map((name) => call(server.url, "POST", `/v1/${name}:complete`, {})));
      acknowledged += 10;
      if (backup === undefined && acknowledged >= OPERATIONS / 4) {
        acknowledgedBefore = acknowledged;
        backup = run(process.execPath, [CLI, "backup", "--data-dir", dataDir, "--out", out]).then((result) => {
          acknowledgedAfter = acknowledged;
          return result;
        });
      }
    }
    const { stdout } = await backup!;
    expect(stdout).toContain(`to ${out}`);
    expect(stdout).toContain("master.key");
    expect(statSync(out).mode & 0o777).toBe(0o600);

    // Consistent: every operation, each succeeded one with its event and its delivery, as of one moment in the run.
    const copy = new Database(out, { readonly: true });
    const count = (sql: string) => (copy.prepare(sql).get() as { n: number }).n;
    const succeeded = count("SELECT COUNT(*) AS n FROM operations WHERE state = 'succeeded'");
    expect(count("SELECT COUNT(*) AS n FROM operations")).toBe(OPERATIONS);
    expect(succeeded).toBeGreaterThanOrEqual(acknowledgedBefore);
    expect(succeeded).toBeLessThanOrEqual(acknowledgedAfter);
    expect(count("SELECT COUNT(*) AS n FROM events WHERE type = 'job.succeeded'")).toBe(succeeded);
    expect(count("SELECT COUNT(*) AS n FROM deliveries")).toBe(succeeded);
    copy.close();

    // Restore: the file and the master key, in a new data dir.
    const restoredDir = tempDir("tidings-restored-");
    copyFileSync(out, join(restoredDir, "tidings.db"));
    copyFileSync(join(dataDir, "master.key"), join(restoredDir, "master.key"));
    const restored = await serve({ ...env, TIDINGS_DATA_DIR: restoredDir });
    const hooks = await call(restored.url, "GET", "/v1/webhooks");
    expect(hooks.webhooks.map((w: { id: string }) => w.id)).toEqual([webhook.id]);
    const listed = await call(restored.url, "GET", "/v1/operations?page_size=1000");
    expect(listed.operations.map((op: { name: string }) => op.name).sort()).toEqual([...names].sort());
    expect(listed.operations.filter((op: { done: boolean }) => op.done)).toHaveLength(succeeded);
    // The sealed secrets open with the master key: the restored server signs with the webhook's secret.
    const before = receiver.received.length;
    await call(restored.url, "POST", `/v1/webhooks/${webhook.id}:ping`, {});
    const pings = (await receiver.waitFor(before + 1))
      .slice(before)
      .filter((r) => JSON.parse(r.body).type === "webhook.ping");
    expect(pings[0]?.headers["webhook-signature"]).toMatch(/^v1,/);
  });

  it("refuses a data dir with no database, a file that exists, and PostgreSQL (pg_dump is its backup)", async () => {
    const dataDir = tempDir("tidings-backup-refusals-");
    const out = join(dataDir, "backup.db");
    const backup = (env: NodeJS.ProcessEnv = process.env) =>
      run(process.execPath, [CLI, "backup", "--data-dir", dataDir, "--out", out], { env });
    await expect(backup()).rejects.toMatchObject({ stderr: expect.stringContaining("there is no database") });
    expect(existsSync(out)).toBe(false);
    await expect(backup({ ...process.env, TIDINGS_DATABASE_URL: "postgres://x@127.0.0.1/y" })).rejects.toMatchObject({
      stderr: expect.stringContaining("pg_dump"),
    });

    new Database(join(dataDir, "tidings.db")).close();
    writeFileSync(out, "precious");
    await expect(backup()).rejects.toMatchObject({ stderr: expect.stringContaining("already exists") });
    expect(readFileSync(out, "utf8")).toBe("precious");
  });
});
