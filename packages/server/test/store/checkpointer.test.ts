import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Checkpointer } from "../../src/store/sqlite/checkpointer.js";
import { waitUntil } from "../helpers/tidings.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the WAL checkpoint thread", () => {
  it("reports a checkpoint that fails once, keeps the process up, tries again and reports the recovery", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidings-checkpointer-"));
    dirs.push(dir);
    const path = join(dir, "tidings.db");
    // What SQLite cannot checkpoint: the worker's checkpoints throw (as SQLITE_FULL does on a full disk).
    writeFileSync(path, Buffer.alloc(8192, 7));
    const reports: { kind: "failed" | "recovered"; code?: string }[] = [];
    const checkpointer = new Checkpointer(
      path,
      { intervalMs: 10, restartBytes: 64 * 1024 * 1024 },
      {
        failed: ({ code }) => reports.push({ kind: "failed", code }),
        recovered: () => reports.push({ kind: "recovered" }),
      },
    );
    try {
      await waitUntil(() => reports.length > 0, 10_000, "a failed checkpoint");
      expect(reports[0]).toMatchObject({ kind: "failed", code: "SQLITE_NOTADB" });

      const good = join(dir, "good.db");
      const db = new Database(good);
      db.pragma("journal_mode = WAL");
      db.exec("CREATE TABLE t (x)");
      db.close();
      copyFileSync(good, path);
      await waitUntil(() => reports.some((r) => r.kind === "recovered"), 10_000, "checkpoints to work again");
      // Failing checkpoints were reported once, not at every tick.
      expect(reports.map((r) => r.kind)).toEqual(["failed", "recovered"]);
    } finally {
      await checkpointer.stop();
    }
  });
});
