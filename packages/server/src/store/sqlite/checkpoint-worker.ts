import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

/** Runs WAL checkpoints on its own connection and thread, so the server's event loop never waits for one. */
const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path);
db.pragma("busy_timeout = 5000");
const timer = setInterval(() => db.pragma("wal_checkpoint(PASSIVE)"), intervalMs);
parentPort!.on("message", (message: string) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort!.postMessage("stopped");
});
