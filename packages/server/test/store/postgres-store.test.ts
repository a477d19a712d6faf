import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { newResourceId } from "../../src/core/ids.js";
import { StoreUnavailableError } from "../../src/store/errors.js";
import { PgExecutor } from "../../src/store/postgres/executor.js";
import { DELIVERIES_CHANNEL, NotificationListener } from "../../src/store/postgres/notify.js";
import { connectionConfig, PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { ClaimedDelivery } from "../../src/store/store.js";
import { PgWireProxy } from "../helpers/pg-wire-proxy.js";
import { describeStoreConformance } from "./conformance/index.js";
import { delivery, event, webhook, written } from "./conformance/fixtures.js";

// CI starts PostgreSQL: when it is unreachable these tests fail rather than skip.
const DATABASE_URL = process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const T0 = Date.parse("2026-05-04T12:00:00Z");
const PAGE_OF_10 = { pageSize: 10, offset: 0 };

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
  return PostgresStore.connect(DATABASE_URL, { schema, now: () => T0 });
};
describeStoreConformance("PostgreSQL", openInNewSchema, () => dropSchemas(conformanceSchemas));

describe("PostgreSQL store, shared by several processes", () => {
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];
  const connect = async (schema: string) => {
    const store = await PostgresStore.connect(DATABASE_URL, { schema, now: () => T0 });
    stores.push(store);
    return store;
  };
  const proxies: PgWireProxy[] = [];
  afterEach(async () => {
    // Proxies first: a store whose transaction waits on held answers could not close.
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await dropSchemas(schemas);
  });
  const freshSchema = () => {
    const schema = newSchema();
    schemas.push(schema);
    return schema;
  };
  /** A store in a fresh schema that counts its round trips. */
  const connectCounting = async () => {
    let roundTrips = 0;
    const store = await PostgresStore.connect(DATABASE_URL, {
      schema: freshSchema(),
      now: () => T0,
      onRoundTrip: () => roundTrips++,
    });
    stores.push(store);
    return { store, roundTrips: () => roundTrips };
  };
  const newProject = async (store: PostgresStore) => {
    const projectId = newResourceId(Date.now());
    await store.projects.insert({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });
    return projectId;
  };
  /** A store on one connection through a PgWireProxy (closed after the test), and a project in it. */
  const connectThroughProxy = async () => {
    const { proxy, url } = await PgWireProxy.start(DATABASE_URL);
    proxies.push(proxy);
    const store = await PostgresStore.connect(url, { schema: freshSchema(), now: () => T0, maxConnections: 1 });
    stores.push(store);
    return { proxy, store, projectId: await newProject(store) };
  };
  /** An event bound for `count` distinct URIs, hence `count` queued deliveries. */
  const fanOut = async (store: PostgresStore, projectId: string, count: number) =>
    (
      await written(store, event(projectId), (e) =>
        Array.from({ length: count }, (_, i) => delivery(e, { uri: `https://h${i}.example/hook` })),
      )
    ).deliveries;
  const claim = (store: PostgresStore, now: number, limit: number, worker: number) =>
    store.deliveries.claim({ now, worker, limit, skipEndpoints: [], perEndpointLimit: 1000 });

  it("never leases one delivery to two stores claiming at once", async () => {
    const schema = freshSchema();
    // Connected at once: both migrate the schema, which must not collide.
    const [a, b] = await Promise.all([connect(schema), connect(schema)]);
    const projectId = await newProject(a);
    await fanOut(a, projectId, 200);
    const [workerA, workerB] = [await a.workers.register("a", T0 + 60_000), await b.workers.register("b", T0 + 60_000)];

    // Two loops per store, so each store also races itself over its pooled connections.
    const drain = async (store: PostgresStore, worker: number) => {
      const got: ClaimedDelivery[] = [];
      for (;;) {
        const batch = await claim(store, T0 + 1, 7, worker);
        if (batch.length === 0) return got;
        got.push(...batch);
      }
    };
    const [a1, a2, b1, b2] = await Promise.all([
      drain(a, workerA),
      drain(a, workerA),
      drain(b, workerB),
      drain(b, workerB),
    ]);
    const byA = [...a1!, ...a2!].map((d) => d.id);
    const byB = [...b1!, ...b2!].map((d) => d.id);
    const all = [...byA, ...byB];
    expect(all).toHaveLength(200);
    expect(new Set(all).size).toBe(200);
    expect(byA.filter((id) => byB.includes(id))).toEqual([]);
    expect(await claim(a, T0 + 1, 500, workerA)).toEqual([]);
    // The leases are real: when both workers stop renewing, every delivery is due again, once.
    expect(await Promise.all([a.workers.reap(T0 + 60_000), b.workers.reap(T0 + 60_000)])).toSatisfy(
      (counts: number[]) => counts[0]! + counts[1]! === 200,
    );
    expect(await claim(b, T0 + 60_001, 500, await b.workers.register("c", T0 + 120_000))).toHaveLength(200);
  });

  it("wakes the other processes after commits that make deliveries due, and only those", async () => {
    const schema = freshSchema();
    const [listening, writing] = [await connect(schema), await connect(schema)];
    const elsewhere = await connect(freshSchema());
    const projectId = await newProject(writing);
    await elsewhere.projects.insert({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });

    let wakes = 0;
    const stop = await listening.listenForDeliveries(() => wakes++);
    await fanOut(writing, projectId, 3);
    await expect.poll(() => wakes, { timeout: 5000 }).toBe(1);

    // Not woken by: another schema's commits, deliveries born leased to an engine, a rolled-back transaction.
    await fanOut(elsewhere, projectId, 1);
    const worker = await writing.workers.register("me", T0 + 60_000);
    await written(writing, event(projectId), (e) => [delivery(e)], { lease: { worker, coveredFrom: null } });
    await expect(
      writing.transaction(async (tx) => {
        const [e] = await tx.events.insert([event(projectId)]);
        await tx.deliveries.insert([delivery(e!)], T0);
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wakes).toBe(1);

    await stop();
    await fanOut(writing, projectId, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wakes).toBe(1);
  });

  it("wakes on recovery, on deliveries handed back and on a dead worker's reaped", async () => {
    const schema = freshSchema();
    const [listening, writing] = [await connect(schema), await connect(schema)];
    const projectId = await newProject(writing);
    const hook = webhook(projectId);
    await writing.webhooks.insert(hook);
    const worker = await writing.workers.register("a", T0 + 60_000);
    const dying = await writing.workers.register("b", T0 + 1_000);
    const [failed, held] = (
      await written(writing, event(projectId), (e) => [
        delivery(e, { webhookId: hook.id }),
        delivery(e, { uri: "https://a.example/x" }),
      ])
    ).deliveries;
    await written(writing, event(projectId), (e) => [delivery(e)], { lease: { worker: dying, coveredFrom: null } });
    const outcome = {
      endpointKey: `webhook:${hook.id}`,
      attemptCount: 1,
      nextAttemptAt: T0,
      attemptedAt: T0,
      lastLatencyMs: 1,
      lastError: "x",
    };
    await writing.deliveries.settle(
      {
        settlements: [{ ...outcome, id: failed!.id, state: "failed" }],
        keptAttempts: [],
        minutes: [],
        lastFailures: [],
        webhooksSucceeded: [],
        webhooksAtRisk: [],
      },
      T0,
    );
    await claim(writing, T0, 10, worker);

    let wakes = 0;
    const stop = await listening.listenForDeliveries(() => wakes++);
    expect(await writing.deliveries.recover(projectId, hook.id, T0, T0 + 1, T0 + 5)).toBe(1);
    await expect.poll(() => wakes, { timeout: 5000 }).toBe(1);
    expect(await writing.deliveries.release([held!], worker, T0 + 5)).toBe(1);
    await expect.poll(() => wakes, { timeout: 5000 }).toBe(2);
    expect(await writing.workers.reap(T0 + 1_000)).toBe(1);
    await expect.poll(() => wakes, { timeout: 5000 }).toBe(3);
    await stop();
  });

  it("listens again when its connection drops, and wakes once for what it may have missed", async () => {
    const schema = freshSchema();
    const writing = await connect(schema);
    const projectId = await newProject(writing);
    // Named, so that the test ends its own connection and nobody else's.
    const applicationName = `${schema}_listener`;
    let wakes = 0;
    const listener = new NotificationListener(
      { connectionString: DATABASE_URL, options: `-c search_path=${schema}`, application_name: applicationName },
      50,
    );
    await listener.subscribe(DELIVERIES_CHANNEL, () => wakes++);
    try {
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [applicationName],
      );
      await admin.end();
      expect(killed.rowCount).toBe(1);
      await expect.poll(() => wakes, { timeout: 5000 }).toBe(1);
      await fanOut(writing, projectId, 1);
      await expect.poll(() => wakes, { timeout: 5000 }).toBe(2);
    } finally {
      await listener.stop();
    }
  });

  it("tells every process sharing the schema when an API key is revoked or signed out, by Tidings or by hand", async () => {
    const schema = freshSchema();
    const [listening, writing] = [await connect(schema), await connect(schema)];
    const elsewhere = await connect(freshSchema());
    const projectId = await newProject(writing);
    const addKey = async (store: PostgresStore, keyHash: string) => {
      const id = newResourceId(Date.now());
      await store.projects.addApiKey({ id, projectId, keyHash, createdAt: T0, configured: false });
      return id;
    };
    const [revoked, signedOut, byHand, used] = [
      await addKey(writing, "h1"),
      await addKey(writing, "h2"),
      await addKey(writing, "h3"),
      await addKey(writing, "h4"),
    ];
    await elsewhere.projects.insert({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });
    const foreign = await addKey(elsewhere, "h5");

    let changes = 0;
    let wakes = 0;
    const stopKeys = await listening.listenForApiKeyChanges(() => changes++);
    const stopDeliveries = await listening.listenForDeliveries(() => wakes++);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      expect(await writing.projects.deleteApiKey(projectId, revoked)).toBe(true);
      await expect.poll(() => changes, { timeout: 5000 }).toBe(1);
      await writing.projects.endSessions(signedOut);
      await expect.poll(() => changes, { timeout: 5000 }).toBe(2);
      await admin.query(`DELETE FROM ${schema}.api_keys WHERE id = $1`, [byHand]);
      await expect.poll(() => changes, { timeout: 5000 }).toBe(3);

      // Not told of: a key's use being recorded, another schema's revocation.
      await writing.projects.touchApiKey(used, T0 + 60_000);
      expect(await elsewhere.projects.deleteApiKey(projectId, foreign)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(changes).toBe(3);
      expect(wakes).toBe(0);

      // The deliveries' channel on the same connection still wakes the engine.
      await fanOut(writing, projectId, 1);
      await expect.poll(() => wakes, { timeout: 5000 }).toBe(1);
      expect(changes).toBe(3);
    } finally {
      await admin.end();
      await stopKeys();
      await stopDeliveries();
    }
  });

  it("settles a round of outcomes in one round trip, whatever it holds", async () => {
    const { store, roundTrips } = await connectCounting();
    const projectId = await newProject(store);
    const hook = webhook(projectId, { lastSuccessAt: T0 - 60_000 });
    await store.webhooks.insert(hook);
    const [ok, retry, failed] = (await fanOut(store, projectId, 3)).map((d) => ({
      id: d.id,
      endpointKey: d.endpointKey,
    }));
    const base = { attemptCount: 1, attemptedAt: T0, lastLatencyMs: 2 };
    const before = roundTrips();
    const atRisk = await store.deliveries.settle(
      {
        settlements: [
          { ...ok!, ...base, state: "succeeded", nextAttemptAt: T0, lastStatusCode: 200 },
          {
            ...retry!,
            ...base,
            state: "pending",
            nextAttemptAt: T0 + 5000,
            lastStatusCode: 500,
            lastError: "HTTP 500",
          },
          { ...failed!, ...base, state: "failed", nextAttemptAt: T0, lastError: "refused" },
        ],
        keptAttempts: [
          { deliveryId: retry!.id, attemptNumber: 1, startedAt: T0, latencyMs: 2, statusCode: 500 },
          { deliveryId: failed!.id, attemptNumber: 1, startedAt: T0, latencyMs: 2, error: "refused" },
        ],
        minutes: [{ projectId, webhookKey: "k", minute: T0, succeeded: 1, retrying: 1, failed: 1, buckets: [1, 2] }],
        lastFailures: [{ webhookId: hook.id, projectId, deliveryId: failed!.id, error: "refused", at: T0 }],
        webhooksSucceeded: [hook.id],
        webhooksAtRisk: [hook.id],
      },
      T0 + 1,
    );
    expect(roundTrips() - before).toBe(1);
    // As the round found it, before its own write of the webhook's last success.
    expect(atRisk.map((h) => [h.id, h.lastSuccessAt])).toEqual([[hook.id, T0 - 60_000]]);
    expect((await store.webhooks.get(projectId, hook.id))?.lastSuccessAt).toBe(T0 + 1);
    const states = (await store.deliveries.list(projectId, {}, { pageSize: 10, offset: 0 })).items.map((d) => [
      d.id,
      d.state,
      d.attempts.length,
    ]);
    expect(states).toEqual([
      [ok!.id, "succeeded", 1],
      [retry!.id, "pending", 1],
      [failed!.id, "failed", 1],
    ]);
    expect(await store.deliveries.nextDueAt()).toBe(T0 + 5000);
  });

  it("writes a turn's events and deliveries in two round trips with BEGIN and COMMIT, keys looked up by the inserts", async () => {
    // BEGIN goes out with the events' insert, and COMMIT with the deliveries' insert, which nobody waits for
    // (docs/store.md: round trips); one statement at a time, the four were four round trips.
    const { store, roundTrips } = await connectCounting();
    const [projectA, projectB] = [await newProject(store), await newProject(store)];
    const [hookA, hookB] = [webhook(projectA), webhook(projectB)];
    await store.webhooks.insert(hookA);
    await store.webhooks.insert(hookB);
    const worker = await store.workers.register("w", T0 + 60_000);
    const before = roundTrips();
    await store.transaction(async (tx) => {
      const [a, b] = await tx.events.insert([event(projectA), event(projectB)]);
      await tx.deliveries.insert(
        [delivery(a!, { webhookId: hookA.id, uri: hookA.uri }), delivery(b!, { webhookId: hookB.id, uri: hookB.uri })],
        T0,
        // Born leased to a worker whose failover range already covers them: nothing else to write.
        { worker, coveredFrom: 0 },
      );
    });
    expect(roundTrips() - before).toBe(2);
    const hooks = async (projectId: string) =>
      (await store.deliveries.list(projectId, {}, { pageSize: 10, offset: 0 })).items.map((d) => d.webhookId);
    expect([await hooks(projectA), await hooks(projectB)]).toEqual([[hookA.id], [hookB.id]]);
  });

  it("sends BEGIN with the statements asked for together, and COMMIT with the writes nobody reads", async () => {
    // A transaction of endings was six round trips in a row (docs/store.md: round trips). Each step here is checked
    // with every answer held back: what the client sent by then went out without waiting for one.
    const { proxy, store, projectId } = await connectThroughProxy();
    let wroteDeliveries!: () => void;
    const deliveriesAsked = new Promise<void>((resolve) => (wroteDeliveries = resolve));
    proxy.hold();
    const done = store.transaction(async (tx) => {
      const [[stored], enabled] = await Promise.all([
        tx.events.insert([event(projectId)]),
        tx.webhooks.listEnabled([projectId]),
      ]);
      proxy.hold();
      const deliveries = await tx.deliveries.insert([delivery(stored!)], T0);
      wroteDeliveries();
      return { stored: stored!, enabled, deliveries };
    });
    done.catch(() => {});
    // BEGIN, the events' insert and the webhooks' read.
    await expect.poll(() => proxy.requestsSent(), { timeout: 5_000 }).toBe(3);
    proxy.release();
    await deliveriesAsked;
    // The deliveries' insert, their queue entries' (no engine took them), the NOTIFY that wakes engines, COMMIT.
    await expect.poll(() => proxy.requestsSent(), { timeout: 5_000 }).toBe(4);
    proxy.release();
    const { stored, enabled, deliveries } = await done;
    expect(enabled).toEqual([]);
    expect(await store.events.get(projectId, stored.id)).toMatchObject({ id: stored.id });
    expect((await store.deliveries.list(projectId, {}, PAGE_OF_10)).items.map((d) => d.id)).toEqual(
      deliveries.map((d) => d.id),
    );
  });

  it("fails a transaction whose connection drops with statements in flight as unavailable; nothing is committed", async () => {
    const { proxy, store, projectId } = await connectThroughProxy();
    proxy.hold();
    const failed = store.transaction((tx) => tx.events.insert([event(projectId)]));
    failed.catch(() => {});
    // BEGIN and the insert are on the wire, their answers held: then the connection goes.
    await expect.poll(() => proxy.requestsSent(), { timeout: 5_000 }).toBe(2);
    proxy.cut();
    await expect(failed).rejects.toBeInstanceOf(StoreUnavailableError);
    // The pool opens another connection for the next transaction, which finds nothing of the first.
    const [inserted] = await store.transaction((tx) => tx.events.insert([event(projectId)]));
    expect((await store.events.list(projectId, {}, PAGE_OF_10)).items.map((e) => e.id)).toEqual([inserted!.id]);
  });

  it("rolls back a pipelined transaction whose first statement fails, and the connection serves the next", async () => {
    const store = await PostgresStore.connect(DATABASE_URL, {
      schema: freshSchema(),
      now: () => T0,
      maxConnections: 1,
    });
    stores.push(store);
    const projectId = await newProject(store);
    await expect(
      store.transaction(async (tx) => {
        await tx.projects.insert({ id: projectId, displayName: "again", isDefault: false, createdAt: T0 });
      }),
    ).rejects.toThrow();
    const [inserted] = await store.transaction((tx) => tx.events.insert([event(projectId)]));
    expect(await store.events.get(projectId, inserted!.id)).toMatchObject({ id: inserted!.id });
  });

  it("rounds fractional retry times into BIGINT and keeps fractional latencies", async () => {
    const store = await connect(freshSchema());
    const projectId = await newProject(store);
    const [d] = await fanOut(store, projectId, 1);
    const attempt = { deliveryId: d!.id, attemptNumber: 1, startedAt: T0, latencyMs: 12.345, statusCode: 500 };
    await store.deliveries.settle(
      {
        settlements: [
          {
            id: d!.id,
            endpointKey: d!.endpointKey,
            state: "pending",
            attemptCount: 1,
            nextAttemptAt: T0 + 4321.7,
            attemptedAt: T0,
            lastLatencyMs: 12.345,
            lastError: "HTTP 500",
          },
        ],
        keptAttempts: [attempt],
        minutes: [],
        lastFailures: [],
        webhooksSucceeded: [],
        webhooksAtRisk: [],
      },
      T0 + 1,
    );
    const [listed] = (await store.deliveries.list(projectId, {}, { pageSize: 10, offset: 0 })).items;
    expect(listed).toMatchObject({ state: "pending", nextAttemptAt: T0 + 4322, attemptCount: 1 });
    expect(listed!.attempts).toEqual([attempt]);
  });

  it("opens its connections with JIT off, custom plans, in its schema, and a setting the URL names wins", async () => {
    // JIT compiled the delivery claim for 230 ms once a backlog passed 100,000; a generic plan of a prepared
    // statement cannot see a list's length and scans (docs/store.md: PostgreSQL's planner).
    const settings = async (url: string, schema: string | undefined, names: string[]) => {
      const client = new pg.Client(connectionConfig(url, schema));
      await client.connect();
      try {
        // One query at a time: pg 8 warns that queuing them on a client is deprecated, and pg 9 drops it.
        const values: unknown[] = [];
        for (const name of names) values.push((await client.query(`SHOW ${name}`)).rows[0]?.[name]);
        return values;
      } finally {
        await client.end();
      }
    };
    const schema = freshSchema();
    expect(await settings(DATABASE_URL, schema, ["jit", "plan_cache_mode", "search_path"])).toEqual([
      "off",
      "force_custom_plan",
      schema,
    ]);
    const url = new URL(DATABASE_URL);
    url.searchParams.set("options", "-c jit=on -c statement_timeout=4321");
    expect(await settings(url.toString(), undefined, ["jit", "statement_timeout"])).toEqual(["on", "4321ms"]);
  });

  it("prepares each statement text once per connection, and runs a script unnamed", async () => {
    // Parsing and analysing every statement anew was a quarter of the database's CPU per operation
    // (docs/store.md: prepared statements).
    const client = new pg.Client(connectionConfig(DATABASE_URL, undefined));
    await client.connect();
    try {
      const executor = new PgExecutor(client, () => {});
      const text = "SELECT $1::int + 1 AS next /* prepared-statements test */";
      for (const n of [1, 2, 3]) expect(await executor.first(text, [n])).toEqual({ next: n + 1 });
      await executor.query("SELECT 1; SELECT 2");
      const prepared = await client.query<{ statement: string }>(
        "SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%prepared-statements test%'",
      );
      expect(prepared.rows.map((row) => row.statement)).toEqual([text]);
    } finally {
      await client.end();
    }
  });
});
