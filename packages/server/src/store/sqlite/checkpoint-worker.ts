import { statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/**
 * Checkpoints the WAL on its own connection and thread (checkpointer.ts): PASSIVE, which never blocks the server,
 * and RESTART once the WAL is past its bound. Reports the WAL's size after each pass, and each restart's length.
 */
const { path, intervalMs, restartBytes } = workerData as { path: string; intervalMs: number; restartBytes: number };
const db = new Database(path);
// A RESTART waits this long at most for the server's transaction in progress to end; else it tries after the next pass.
db.pragma("busy_timeout = 100");

function walBytes(): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    let restartMs: number | undefined;
    if (walBytes() >= restartBytes) {
      const started = performance.now();
      const [result] = db.pragma("wal_checkpoint(RESTART)") as { busy: number }[];
      if (result?.busy === 0) restartMs = performance.now() - started;
    }
    parentPort!.postMessage({ walBytes: walBytes(), restartMs });
  } catch (err) {
    // A full disk, say: the next pass tries again; the server hears of it and stays up.
    parentPort!.postMessage({ walBytes: walBytes(), error: err instanceof Error ? err.message : String(err) });
  }
}, intervalMs);
parentPort!.on("message", (message: string) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort!.postMessage("stopped");
});
