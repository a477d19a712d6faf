import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `tidings_test_${randomBytes(6).toString("hex")}`;
const url = (() => {
  const u = new URL(DATABASE_URL);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
})();

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

let api: TestServer;
let worker: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  await sql(`CREATE SCHEMA ${schema}`);
  const env = { TIDINGS_DATABASE_URL: url, TIDINGS_MASTER_KEY: randomBytes(32).toString("base64") };
  // Idle polling every minute: a prompt delivery can only come from the NOTIFY wake-up.
  const engine = { idlePollMs: 60_000 };
  [api, worker] = await Promise.all([
    startTidings({ env: { ...env, TIDINGS_ROLE: "api" }, engine }),
    startTidings({ env: { ...env, TIDINGS_ROLE: "worker" }, engine }),
  ]);
  receiver = await startReceiver();
});
afterAll(async () => {
  await api?.close();
  await worker?.close();
  await receiver?.close();
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

describe("several processes sharing PostgreSQL (--role api | worker)", () => {
  it("an API process commits, a worker process is woken by NOTIFY and delivers", async () => {
    expect(api.projectId).toBe(worker.projectId);
    const webhook = await registerWebhook(api, receiver.url);
    const op = await api.api("POST", "/v1/operations", { type: "export" });
    await api.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/pg" });
    const [got] = await receiver.waitFor(1, 10_000);
    expect(verifyWithReferenceLibraries(webhook.secret, got!)).toMatchObject({
      type: "export.succeeded",
      data: { id: op.body.name },
    });
    expect((await worker.api("GET", "/v1/webhooks")).status).toBe(404);
    await waitUntil(
      async () =>
        (await api.api("GET", `/v1/webhooks/${webhook.id}/deliveries?state=succeeded`)).body.deliveries.length === 1,
    );
  });

  it("both processes publish the same signing keys", async () => {
    const keys = async (s: TestServer) =>
      ((await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map(
        (k) => k.kid,
      );
    expect(await keys(api)).toEqual(await keys(worker));
  });

  it("refuses to start on PostgreSQL without a shared master key", async () => {
    await expect(startTidings({ env: { TIDINGS_DATABASE_URL: url } })).rejects.toThrow(/TIDINGS_MASTER_KEY/);
  });
});
