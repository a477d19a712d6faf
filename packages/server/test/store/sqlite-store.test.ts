import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { Session } from "node:inspector";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/store/errors.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { describeStoreConformance } from "./conformance/index.js";

/** Each store gets a fresh file of its own. */
let dir: string | undefined;
const open = async () => {
  dir = mkdtempSync(join(tmpdir(), "tidings-store-"));
  return new SqliteStore(join(dir, "tidings.db"), { now: () => Date.now() });
};
const cleanup = async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
};

describeStoreConformance("SQLite", open, cleanup);

describe("SQLite store, its write-ahead log", () => {
  it("stays bounded under writes that never pause: past its bound, it starts over, and only once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidings-wal-"));
    const path = join(dir, "tidings.db");
    const restarts: number[] = [];
    let passes = 0;
    const bound = 1024 * 1024;
    const store = new SqliteStore(path, {
      now: () => Date.now(),
      checkpoints: { intervalMs: 20, restartBytes: bound },
      checkpointObserver: { restarted: (ms) => restarts.push(ms), walBytes: () => passes++ },
    });
    try {
      await store.projects.insert({ id: "p", displayName: "p", isDefault: true, createdAt: 0 });
      const payload = {
        type: "export.succeeded",
        version: "v1",
        timestamp: "t",
        data: { id: "operations/x", padding: "x".repeat(2000) },
      } as const;
      const write = (events = 20) =>
        store.events.insert(
          Array.from({ length: events }, () => ({ projectId: "p", type: "export.succeeded", payload, createdAt: 0 })),
        );
      // Writes that go on and on, far past the bound: a PASSIVE checkpoint alone would never let the WAL start over.
      const deadline = Date.now() + 60_000;
      while (restarts.length < 2 && Date.now() < deadline) {
        await write();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(restarts.length).toBeGreaterThanOrEqual(2);
      // One transaction past the bound, then none: the next pass starts the WAL over, and the passes after it, which
      // find the WAL's frames as it left them until a write begins it again, do not. (Judged by the file's length,
      // which a restart leaves as it was, or by those frames alone, every pass would restart, each one making the
      // server's writes wait.)
      const restartsSoFar = restarts.length;
      await write(800);
      await expect.poll(() => restarts.length, { timeout: 10_000 }).toBe(restartsSoFar + 1);
      const passesSoFar = passes;
      await expect.poll(() => passes, { timeout: 10_000 }).toBeGreaterThanOrEqual(passesSoFar + 10);
      expect(restarts.length).toBe(restartsSoFar + 1);
      // The next write starts the WAL over from its first frame, in a file no longer than twice the bound (it keeps its
      // length; the thread empties one that grew past twice the bound, as it may have before the first pass).
      await write();
      const reader = new Database(path);
      try {
        const frameBytes = (reader.pragma("page_size", { simple: true }) as number) + 24;
        const [pass] = reader.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
        expect(pass!.log * frameBytes).toBeLessThan(bound / 4);
      } finally {
        reader.close();
      }
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(2 * bound);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("empties a WAL file that grew past twice its bound, on the checkpoint thread, with no write of the server's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidings-wal-"));
    const path = join(dir, "tidings.db");
    const bound = 1024 * 1024;
    // Another connection leaves more than 4 MiB of WAL (checkpoints off) and stays open, so closing does not
    // checkpoint it: a WAL such as checkpoints that failed for a while leave behind.
    const other = new Database(path);
    other.pragma("journal_mode = WAL");
    other.pragma("wal_autocheckpoint = 0");
    other.exec("CREATE TABLE filler (x TEXT)");
    const fill = other.prepare("INSERT INTO filler VALUES (?)");
    for (let i = 0; i < 1000; i++) fill.run("x".repeat(4000));
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(4 * bound);
    const restarts: number[] = [];
    const store = new SqliteStore(path, {
      now: () => Date.now(),
      checkpoints: { intervalMs: 20, restartBytes: bound },
      checkpointObserver: { restarted: (ms) => restarts.push(ms) },
    });
    try {
      // A RESTART would leave the file as long, to be cut back to twice the bound by journal_size_limit in the
      // server's next commit, on the event loop's thread.
      await expect.poll(() => restarts.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      expect(statSync(`${path}-wal`).size).toBe(0);
    } finally {
      await store.close();
      other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SQLite store, its group commit", () => {
  it("commits writes made outside a transaction in the same turn together, each resolved once durable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidings-group-"));
    const path = join(dir, "tidings.db");
    const store = new SqliteStore(path, { now: () => 0, checkpoints: false });
    try {
      await store.projects.insert({ id: "p", displayName: "p", isDefault: true, createdAt: 0 });
      const walBefore = statSync(`${path}-wal`).size;
      const creates = 50;
      // Fifty single-row writes, as concurrent API calls make them: each alone would be a COMMIT of its own that
      // writes the table's and its indexes' pages to the WAL again.
      await Promise.all(
        Array.from({ length: creates }, (_, i) =>
          store.operations.insert({
            id: `op-${i}`,
            projectId: "p",
            type: "export",
            state: "running",
            metadata: {},
            createdAt: i,
            updatedAt: i,
          }),
        ),
      );
      // Read by a connection of its own: each write resolved once committed, so it sees every row.
      const reader = new Database(path, { readonly: true });
      try {
        const pageSize = reader.pragma("page_size", { simple: true }) as number;
        expect((statSync(`${path}-wal`).size - walBefore) / (pageSize + 24)).toBeLessThan(creates / 5);
        expect(reader.prepare("SELECT COUNT(*) AS n FROM operations").get()).toEqual({ n: creates });
      } finally {
        reader.close();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Another connection, on a thread of its own, that takes the database's write lock and keeps it `holdMs`, as the
 * server's checkpoint thread does for a RESTART and a backup for its copy. `holding()` reads, with no clock, whether
 * it has started to let go (it says so right before its COMMIT).
 */
async function holdWriteLock(path: string, holdMs: number) {
  const state = new Int32Array(new SharedArrayBuffer(4));
  const holder = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const db = new (require(workerData.driver))(workerData.path);
     db.exec("BEGIN IMMEDIATE");
     parentPort.postMessage("locked");
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
     Atomics.store(workerData.state, 0, 1);
     db.exec("COMMIT");
     db.close();
     parentPort.postMessage("released");`,
    {
      eval: true,
      workerData: { path, holdMs, state, driver: createRequire(import.meta.url).resolve("better-sqlite3") },
    },
  );
  const released = new Promise((resolve) => holder.on("message", (message) => message === "released" && resolve(0)));
  await new Promise((resolve) => holder.once("message", resolve));
  return { holding: () => Atomics.load(state, 0) === 0, released, stop: () => holder.terminate() };
}

describe("SQLite store, waiting for another connection's lock", () => {
  let dir: string;
  let store: SqliteStore;
  const operation = (id: string) => ({
    id,
    projectId: "p",
    type: "export",
    state: "running" as const,
    metadata: {},
    createdAt: 0,
    updatedAt: 0,
  });
  const openStore = async (lockWaitMs?: number) => {
    dir = mkdtempSync(join(tmpdir(), "tidings-lock-"));
    store = new SqliteStore(join(dir, "tidings.db"), { now: () => 0, checkpoints: false, lockWaitMs });
    await store.projects.insert({ id: "p", displayName: "p", isDefault: true, createdAt: 0 });
    return join(dir, "tidings.db");
  };
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("waits with the event loop free: timers fire meanwhile, and the writes that arrive meanwhile are made once it is free", async () => {
    const holder = await holdWriteLock(await openStore(), 300);
    let ticksWhileHeld = 0;
    const ticking = setInterval(() => holder.holding() && ticksWhileHeld++, 10);
    try {
      // Before, the first write slept in SQLite's busy handler on this thread, so no timer ran until the lock was free.
      const writes = [store.operations.insert(operation("a"))];
      await new Promise((resolve) => setTimeout(resolve, 50));
      writes.push(store.operations.insert(operation("b")), store.operations.insert(operation("c")));
      await Promise.all(writes);
      expect(holder.holding()).toBe(false);
      expect(ticksWhileHeld).toBeGreaterThan(0);
      for (const id of ["a", "b", "c"])
        expect(await store.operations.get("p", id)).toMatchObject({ id, state: "running" });
    } finally {
      clearInterval(ticking);
      await holder.stop();
    }
  });

  it("waits for the lock on the clock, even while a CPU profiler's signals cut sleeps short", async () => {
    const holder = await holdWriteLock(await openStore(), 300);
    // The V8 profiler samples the main thread with SIGPROF every 100 µs (`node --cpu-prof` every 1 ms). SQLite's
    // busy_timeout added up the sleeps it asked for, each cut short by a signal: its 5 s were over in milliseconds.
    const profiler = new Session();
    profiler.connect();
    const post = (method: string, params?: object) =>
      new Promise<void>((resolve, reject) => profiler.post(method, params, (err) => (err ? reject(err) : resolve())));
    try {
      await post("Profiler.enable");
      await post("Profiler.setSamplingInterval", { interval: 100 });
      await post("Profiler.start");
      await store.operations.insert(operation("a"));
      expect(holder.holding()).toBe(false);
      expect(await store.operations.get("p", "a")).toMatchObject({ id: "a", state: "running" });
    } finally {
      await post("Profiler.stop").catch(() => {});
      profiler.disconnect();
      await holder.stop();
    }
  });

  it("answers unavailable once it has waited its time, having written nothing, and writes again once the lock is free", async () => {
    const holder = await holdWriteLock(await openStore(100), 400);
    try {
      await expect(store.operations.insert(operation("a"))).rejects.toBeInstanceOf(StoreUnavailableError);
      await holder.released;
      expect(await store.operations.get("p", "a")).toBeUndefined();
      await store.operations.insert(operation("b"));
      expect(await store.operations.get("p", "b")).toMatchObject({ id: "b" });
    } finally {
      await holder.stop();
    }
  });
});
