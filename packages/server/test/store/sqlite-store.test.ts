import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
  it("stays bounded under writes that never pause: past its bound, it starts over and is cut back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidings-wal-"));
    const path = join(dir, "tidings.db");
    const restarts: number[] = [];
    const bound = 1024 * 1024;
    const store = new SqliteStore(path, {
      now: () => Date.now(),
      checkpoints: { intervalMs: 20, restartBytes: bound },
      checkpointObserver: { restarted: (ms) => restarts.push(ms) },
    });
    try {
      await store.projects.insert({ id: "p", displayName: "p", isDefault: true, createdAt: 0 });
      const payload = {
        type: "export.succeeded",
        version: "v1",
        timestamp: "t",
        data: { id: "operations/x", padding: "x".repeat(2000) },
      } as const;
      const write = () =>
        store.events.insert(
          Array.from({ length: 20 }, () => ({ projectId: "p", type: "export.succeeded", payload, createdAt: 0 })),
        );
      // Writes that go on and on, far past the bound: a PASSIVE checkpoint alone would never let the WAL start over.
      const deadline = Date.now() + 60_000;
      while (restarts.length < 2 && Date.now() < deadline) {
        await write();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      expect(restarts.length).toBeGreaterThanOrEqual(2);
      // The write after a restart starts the WAL over, and the file is cut back to the bound.
      await expect.poll(() => restarts.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      await write();
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(bound);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
