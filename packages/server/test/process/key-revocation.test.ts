import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY, ManualClock, startTidings, type TestServer } from "../helpers/tidings.js";

const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `tidings_test_${randomBytes(6).toString("hex")}`;
const url = (() => {
  const u = new URL(DATABASE_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
})();

async function sql(text: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(text, params);
  } finally {
    await client.end();
  }
}

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  await sql(`CREATE SCHEMA ${schema}`);
  const env = {
    TIDINGS_DATABASE_URL: url,
    TIDINGS_MASTER_KEY: randomBytes(32).toString("base64"),
    TIDINGS_ROLE: "api",
  };
  // Each server's time stands still, so a key it remembers is never forgotten because it aged: only because it was
  // revoked and the database said so.
  a = await startTidings({ env, clock: new ManualClock() });
  b = await startTidings({ env, clock: new ManualClock() });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

describe("a revoked API key, with several processes sharing PostgreSQL", () => {
  const mint = async () =>
    (await a.api<{ key: string; id: string }>("POST", `/v1/projects/${a.projectId}/apiKeys`, {}, ADMIN_KEY)).body;
  const status = async (server: TestServer, key: string) =>
    (await server.api("GET", "/v1/webhooks", undefined, key)).status;

  it("is refused by every process, not only the one that revoked it", async () => {
    const minted = await mint();
    expect(await status(a, minted.key)).toBe(200);
    expect(await status(b, minted.key)).toBe(200);

    expect(
      (await a.api("DELETE", `/v1/projects/${a.projectId}/apiKeys/${minted.id}`, undefined, ADMIN_KEY)).status,
    ).toBe(200);
    expect(await status(a, minted.key)).toBe(401);
    await expect.poll(() => status(b, minted.key), { timeout: 5_000, interval: 50 }).toBe(401);
  });

  it("is refused by every process when its row is deleted by hand", async () => {
    const minted = await mint();
    expect(await status(a, minted.key)).toBe(200);
    expect(await status(b, minted.key)).toBe(200);
    await sql(`DELETE FROM ${schema}.api_keys WHERE id = $1`, [minted.id]);
    await expect.poll(() => status(a, minted.key), { timeout: 5_000, interval: 50 }).toBe(401);
    await expect.poll(() => status(b, minted.key), { timeout: 5_000, interval: 50 }).toBe(401);
  });
});
