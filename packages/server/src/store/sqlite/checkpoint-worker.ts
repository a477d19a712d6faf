import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointReport } from "./checkpointer.js";

/** Runs WAL checkpoints on its own connection and thread, so the server's event loop never waits for one. */
const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path);
db.pragma("busy_timeout = 5000");
const report = (message: CheckpointReport) => parentPort!.postMessage(message);
let failing = false;
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
    if (failing) report({ kind: "recovered" });
    failing = false;
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
