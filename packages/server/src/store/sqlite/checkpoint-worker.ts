import { statSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointMessage } from "./checkpointer.js";

/**
 * Checkpoints the WAL on its own connection and thread (checkpointer.ts): PASSIVE, which never blocks the server,
 * and RESTART once the WAL holds more than its bound. Reports the WAL's size after each pass, each restart's length,
 * and a failure once (then its end).
 */
const { path, intervalMs, restartBytes } = workerData as { path: string; intervalMs: number; restartBytes: number };
const db = new Database(path);
// A RESTART waits this long at most for the server's transaction in progress to end; else it tries after the next pass.
db.pragma("busy_timeout = 100");
const report = (message: CheckpointMessage) => parentPort!.postMessage(message);

function walBytes(): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

/** A WAL frame: a page and its 24-byte header (read at the first pass that can read the database). */
let frameBytes: number | undefined;
/** What a checkpoint answers: frames in the WAL since it last started over, and how many of them are copied. */
type CheckpointResult = { busy: number; log: number; checkpointed: number };
/**
 * The WAL's frame count when this thread last started it over. Until the server's next write begins it again from
 * its first frame, a pass still counts the frames from before, and must not take them for new ones.
 */
let restartedAt: number | undefined;

let failing = false;
const timer = setInterval(() => {
  try {
    frameBytes ??= (db.pragma("page_size", { simple: true }) as number) + 24;
    const [pass] = db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[];
    let restartMs: number | undefined;
    if (pass !== undefined && pass.log * frameBytes >= restartBytes && pass.log !== restartedAt) {
      const started = performance.now();
      // RESTART, not TRUNCATE: both copy what is left and make the next write start the WAL from its beginning,
      // but TRUNCATE also cuts the file to nothing, and freeing 64 MiB of blocks is most of its pause (docs/store.md:
      // the WAL). The file keeps its length instead, which the WAL then writes over. Counted in frames since the WAL
      // began again, not by the file's length, which a RESTART leaves as it was. A file that grew past twice the
      // bound (while checkpoints failed, say) is emptied here, not by journal_size_limit in the server's next commit.
      const mode = walBytes() >= 2 * restartBytes ? "TRUNCATE" : "RESTART";
      const [result] = db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[];
      if (result?.busy === 0) {
        restartMs = performance.now() - started;
        restartedAt = result.log;
      }
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
