import { statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointMessage } from "./checkpointer.js";

/**
 * Checkpoints the WAL on its own connection and thread (checkpointer.ts): PASSIVE, which never blocks the server,
 * and TRUNCATE once the WAL file is past its bound. Reports the WAL's size after each pass, each restart's length,
 * and a failure once (then its end).
 */
const { path, intervalMs, restartBytes } = workerData as { path: string; intervalMs: number; restartBytes: number };
const db = new Database(path);
// A TRUNCATE waits this long at most for the server's transaction in progress to end; else it tries after the next pass.
db.pragma("busy_timeout = 100");
const report = (message: CheckpointMessage) => parentPort!.postMessage(message);

function walBytes(): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

let failing = false;
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    let restartMs: number | undefined;
    if (walBytes() >= restartBytes) {
      const started = performance.now();
      // TRUNCATE, not RESTART: a RESTART leaves the file as long as it was (journal_size_limit cuts it back to the
      // bound, no further), so the size seen at the next pass would still be the bound and every pass would restart
      // again, each making the server's writes wait. TRUNCATE also empties the file: its size is the WAL again.
      const [result] = db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
      if (result?.busy === 0) restartMs = performance.now() - started;
    }
    if (failing) report({ kind: "recovered" });
    failing = false;
    report({ kind: "checkpointed", walBytes: walBytes(), ...(restartMs !== undefined ? { restartMs } : {}) });
  } catch (err) {
    // A full disk (SQLITE_FULL: the database file cannot grow) or an I/O error. The WAL still holds every
    // commit, so nothing is lost: the next tick tries again, and the parent hears of the failure once.
    if (!failing) report({ kind: "failed", code: (err as { code?: string }).code, message: (err as Error).message });
    failing = true;
  }
}, intervalMs);
parentPort!.on("message", (message: string) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort!.postMessage("stopped");
});
