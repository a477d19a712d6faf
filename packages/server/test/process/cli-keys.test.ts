import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, startTidings, type TestServer } from "../helpers/tidings.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
const run = promisify(execFile);
/** The CLI with a clean environment: nothing of the test runner's TIDINGS_* settings leaks in. */
const tidings = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
const webhooksStatus = async (server: TestServer, key: string) =>
  (await server.api("GET", "/v1/webhooks", undefined, key)).status;

describe("tidings keys, on the host, with no admin key: recovering the only key", () => {
  let server: TestServer;
  beforeAll(async () => {
    // No TIDINGS_API_KEY: the first start mints the project's only key, and it is lost.
    server = await startTidings({ env: { TIDINGS_API_KEY: "" } });
  });
  afterAll(() => server.close());

  it("mints a key straight into the data dir that the running server accepts, lists it and revokes it", async () => {
    expect(server.firstRunKey).toBeDefined();
    const created = await tidings(["keys", "create", "--data-dir", server.dataDir]);
    const key = created.stdout.trim();
    expect(key).toMatch(/^tdk_[A-Za-z0-9]{40}$/);
    const id = /API key ([a-z0-9]{36}) for project/.exec(created.stderr)?.[1];
    expect(id, created.stderr).toBeDefined();
    expect(await webhooksStatus(server, key)).toBe(200);

    const listed = await tidings(["keys", "list", "--data-dir", server.dataDir]);
    expect(listed.stdout.trim().split("\n")).toHaveLength(2);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(key);

    expect((await tidings(["keys", "revoke", id!, "--data-dir", server.dataDir])).stdout).toBe(`revoked ${id}\n`);
    // Revoked behind the server's back (SQLite has no notifications): refused once its few seconds of memory run out.
    await expect.poll(() => webhooksStatus(server, key), { timeout: 15_000, interval: 200 }).toBe(401);
    expect(await webhooksStatus(server, server.firstRunKey!)).toBe(200);
  });
});

describe("tidings keys, through the admin API", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTidings();
  });
  afterAll(() => server.close());

  it("creates, lists and revokes a project's key; the revoked key is refused at once", async () => {
    const flags = ["--server", server.url, "--admin-key", ADMIN_KEY, "--project", server.projectId];
    const created = await tidings(["keys", "create", ...flags]);
    const key = created.stdout.trim();
    const id = /API key ([a-z0-9]{36})/.exec(created.stderr)![1]!;
    expect(await webhooksStatus(server, key)).toBe(200);
    const listed = await tidings(["keys", "list", ...flags]);
    expect(listed.stdout).toMatch(new RegExp(`^${id}  created \\S+  last used \\S+\\n`, "m"));
    expect(listed.stdout).toMatch(/ {2}\(TIDINGS_API_KEY\)$/m);
    await tidings(["keys", "revoke", id, ...flags]);
    expect(await webhooksStatus(server, key)).toBe(401);
  });

  it("says what it needs: the admin key and the project, or the data dir", async () => {
    const missingKey = await tidings(["keys", "list", "--server", server.url, "--project", server.projectId]).catch(
      (e: { stderr: string }) => e,
    );
    expect((missingKey as { stderr: string }).stderr).toMatch(
      /--admin-key \(or TIDINGS_ADMIN_KEY\) is required; on the server's host, --data-dir DIR/,
    );
    const missingProject = await tidings(["keys", "list", "--server", server.url], {
      TIDINGS_ADMIN_KEY: ADMIN_KEY,
    }).catch((e: { stderr: string }) => e);
    expect((missingProject as { stderr: string }).stderr).toMatch(/--project is required/);
  });
});

describe("tidings keys --local on PostgreSQL, configured from the environment as tidings serve is", () => {
  const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `tidings_test_${randomBytes(6).toString("hex")}`;
  const url = (() => {
    const u = new URL(DATABASE_URL);
    u.searchParams.set("options", `-c search_path=${schema}`);
    return u.toString();
  })();
  const env = { TIDINGS_DATABASE_URL: url, TIDINGS_MASTER_KEY: randomBytes(32).toString("base64") };
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };
  let server: TestServer;
  beforeAll(async () => {
    await admin(`CREATE SCHEMA ${schema}`);
    server = await startTidings({ env: { ...env, TIDINGS_API_KEY: "" } });
  });
  afterAll(async () => {
    await server?.close();
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it("mints a key the running server accepts, and a revocation reaches it at once", async () => {
    const created = await tidings(["keys", "create", "--local"], env);
    const key = created.stdout.trim();
    const id = /API key ([a-z0-9]{36})/.exec(created.stderr)![1]!;
    expect(await webhooksStatus(server, key)).toBe(200);
    await tidings(["keys", "revoke", id, "--local"], env);
    await expect.poll(() => webhooksStatus(server, key), { timeout: 5_000, interval: 50 }).toBe(401);
  });
});
