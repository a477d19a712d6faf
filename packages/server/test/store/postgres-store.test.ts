import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { StoredEvent } from "../../src/core/events.js";
import { newEventId, newResourceId } from "../../src/core/ids.js";
import { DeliveriesListener } from "../../src/store/postgres/notify.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { ClaimedDelivery } from "../../src/store/store.js";
import { describeStoreConformance } from "./conformance.js";
import { describeFileStoreConformance } from "./file-store-conformance.js";

// CI starts PostgreSQL: when it is unreachable these tests fail rather than skip.
const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const T0 = Date.parse("2026-05-04T12:00:00Z");

/** Each store gets a schema of its own, so tests (and concurrent runs) never see each other's rows. */
const newSchema = () => `tidings_test_${randomBytes(6).toString("hex")}`;

async function dropSchemas(schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

const conformanceSchemas: string[] = [];
const openInNewSchema = async () => {
  const schema = newSchema();
  conformanceSchemas.push(schema);
  return PostgresStore.connect(DATABASE_URL, { schema });
};
describeStoreConformance("PostgreSQL", openInNewSchema, () => dropSchemas(conformanceSchemas));

describe("PostgreSQL store, shared by several processes", () => {
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];
  const connect = async (schema: string) => {
    const store = await PostgresStore.connect(DATABASE_URL, { schema });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await dropSchemas(schemas);
  });
  const freshSchema = () => {
    const schema = newSchema();
    schemas.push(schema);
    return schema;
  };

  /** An event bound for `count` distinct URIs, hence `count` due deliveries. */
  const event = (projectId: string): StoredEvent => ({
    id: newEventId(),
    projectId,
    type: "export.succeeded",
    operation: "operations/x",
    payload: { type: "export.succeeded", version: "v1", timestamp: "t", data: { id: "operations/x" } },
    createdAt: T0,
  });
  const uris = (count: number) => Array.from({ length: count }, (_, i) => `https://h${i}.example/hook`);

  it("never leases one delivery to two stores claiming at once", async () => {
    const schema = freshSchema();
    // Connected at once: both create the schema, which must not collide.
    const [a, b] = await Promise.all([connect(schema), connect(schema)]);
    const projectId = newResourceId();
    await a.createProject({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });
    expect(await a.publishEvent(event(projectId), { kind: "uris", uris: uris(200) }, T0)).toBe(200);

    // Two loops per store, so each store also races itself over its pooled connections.
    const drain = async (store: PostgresStore) => {
      const got: ClaimedDelivery[] = [];
      for (;;) {
        const batch = await store.claimDueDeliveries(T0 + 1, T0 + 60_000, 7, []);
        if (batch.length === 0) return got;
        got.push(...batch);
      }
    };
    const [a1, a2, b1, b2] = await Promise.all([drain(a), drain(a), drain(b), drain(b)]);
    const byA = [...a1!, ...a2!].map((d) => d.id);
    const byB = [...b1!, ...b2!].map((d) => d.id);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    expect(byA.filter((id) => byB.includes(id))).toEqual([]);
    expect(await a.claimDueDeliveries(T0 + 1, T0 + 60_000, 500, [])).toEqual([]);
    // The leases are real: they run out, and then every delivery is due again.
    expect(await b.claimDueDeliveries(T0 + 60_000, T0 + 120_000, 500, [])).toHaveLength(200);
  });

  it("wakes the other processes after commits that make deliveries due, and only those", async () => {
    const schema = freshSchema();
    const [listening, writing] = [await connect(schema), await connect(schema)];
    const elsewhere = await connect(freshSchema());
    const projectId = newResourceId();
    for (const store of [writing, elsewhere]) await store.createProject({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });

    let wakes = 0;
    const stop = await listening.listenForDeliveries(() => wakes++);
    await writing.publishEvent(event(projectId), { kind: "uris", uris: uris(3) }, T0);
    await expect.poll(() => wakes, { timeout: 5000 }).toBe(1);

    // Not woken by: another schema's commits, a commit with no deliveries, a rolled-back transaction.
    await elsewhere.publishEvent(event(projectId), { kind: "uris", uris: uris(1) }, T0);
    await writing.publishEvent(event(projectId), { kind: "subscribers" }, T0);
    await writing.insertOperation({ id: "op", projectId, type: "export", state: "running", metadata: {}, createdAt: T0, updatedAt: T0 });
    await expect(
      writing.finishOperation(projectId, "op", () => { throw new Error("refused"); }, T0),
    ).rejects.toThrow("refused");
    // Recovering failed deliveries makes them due again: that wakes.
    const [claimed] = await writing.claimDueDeliveries(T0, T0 + 1000, 1, []);
    expect(claimed).toBeDefined();
    await writing.recordAttempts(
      [{ delivery: claimed!, attempt: { deliveryId: claimed!.id, attemptNumber: 1, startedAt: T0, latencyMs: 1, requestHeaders: {} }, verdict: { kind: "failed", error: "x" } }],
      T0,
      86_400_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wakes).toBe(1);

    await stop();
    await writing.publishEvent(event(projectId), { kind: "uris", uris: uris(1) }, T0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wakes).toBe(1);
  });

  it("wakes on redelivery and recovery too", async () => {
    const schema = freshSchema();
    const [listening, writing] = [await connect(schema), await connect(schema)];
    const projectId = newResourceId();
    await writing.createProject({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });
    const hook = { id: newResourceId(), projectId, name: "", uri: "https://example.com/hook", subscribedEvents: ["*"], state: "enabled" as const, sealedSecrets: "s", createdAt: T0, updatedAt: T0 };
    await writing.insertWebhook(hook);
    const published = event(projectId);
    await writing.publishEvent(published, { kind: "subscribers" }, T0);
    const [claimed] = await writing.claimDueDeliveries(T0, T0 + 1000, 1, []);
    await writing.recordAttempts(
      [{ delivery: claimed!, attempt: { deliveryId: claimed!.id, attemptNumber: 1, startedAt: T0, latencyMs: 1, requestHeaders: {} }, verdict: { kind: "failed", error: "x" } }],
      T0,
      86_400_000,
    );

    let wakes = 0;
    const stop = await listening.listenForDeliveries(() => wakes++);
    expect(await writing.recoverDeliveries(projectId, hook.id, T0, T0 + 1, T0 + 5)).toBe(1);
    await expect.poll(() => wakes, { timeout: 5000 }).toBe(1);
    expect(await writing.redeliverEvent(projectId, published.id, undefined, T0 + 6)).toBe(1);
    await expect.poll(() => wakes, { timeout: 5000 }).toBe(2);
    await stop();
  });

  it("listens again when its connection drops, and wakes once for what it may have missed", async () => {
    const schema = freshSchema();
    const writing = await connect(schema);
    const projectId = newResourceId();
    await writing.createProject({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });
    // Named, so that the test ends its own connection and nobody else's.
    const applicationName = `${schema}_listener`;
    let wakes = 0;
    const listener = new DeliveriesListener(
      { connectionString: DATABASE_URL, options: `-c search_path=${schema}`, application_name: applicationName },
      () => wakes++,
      50,
    );
    await listener.start();
    try {
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [applicationName]);
      await admin.end();
      expect(killed.rowCount).toBe(1);
      await expect.poll(() => wakes, { timeout: 5000 }).toBe(1);
      await writing.publishEvent(event(projectId), { kind: "uris", uris: uris(1) }, T0);
      await expect.poll(() => wakes, { timeout: 5000 }).toBe(2);
    } finally {
      await listener.stop();
    }
  });

  it("keeps fractional retry times and attempt latencies that SQLite would store as REAL", async () => {
    const store = await connect(freshSchema());
    const projectId = newResourceId();
    await store.createProject({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });
    await store.publishEvent(event(projectId), { kind: "uris", uris: uris(1) }, T0);
    const [claimed] = await store.claimDueDeliveries(T0, T0 + 1000, 1, []);
    expect(claimed!.nextAttemptAt).toBe(T0);
    const attempt = { deliveryId: claimed!.id, attemptNumber: 1, startedAt: T0, latencyMs: 12.345, requestHeaders: {} };
    const retry = { kind: "retry" as const, at: T0 + 4321.7, error: "HTTP 500" };
    // Recording the same attempt twice (a retried batch) is harmless.
    await store.recordAttempts([{ delivery: claimed!, attempt, verdict: retry }], T0 + 1, 86_400_000);
    await store.recordAttempts([{ delivery: claimed!, attempt, verdict: retry }], T0 + 1, 86_400_000);
    const [delivery] = (await store.listDeliveries(projectId, {}, { pageSize: 10, offset: 0 })).items;
    expect(delivery).toMatchObject({ state: "pending", nextAttemptAt: T0 + 4322, attemptCount: 1 });
    expect(delivery!.attempts).toEqual([attempt]);
  });
});

describeFileStoreConformance("PostgreSQL", openInNewSchema, () => dropSchemas(conformanceSchemas));
