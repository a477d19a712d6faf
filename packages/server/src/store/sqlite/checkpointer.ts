import { once } from "node:events";
import { Worker } from "node:worker_threads";

// Workers run compiled JavaScript; when this module runs from TypeScript sources (tests), use the build.
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("../../../dist/store/sqlite/checkpoint-worker.js", import.meta.url)
  : new URL("./checkpoint-worker.js", import.meta.url);

/** What the checkpointer tells the server: the WAL's size, a restart and how long writes waited for it, a failure. */
export interface CheckpointObserver {
  walBytes?(bytes: number): void;
  restarted?(pauseMs: number): void;
  error?(err: unknown): void;
}

export interface CheckpointOptions {
  /** How often the worker checkpoints (PASSIVE). */
  intervalMs: number;
  /** Past this size the WAL is made to start over from its beginning (a RESTART checkpoint). */
  restartBytes: number;
}

export const DEFAULT_CHECKPOINTS: CheckpointOptions = { intervalMs: 250, restartBytes: 64 * 1024 * 1024 };

/**
 * Keeps the WAL bounded under any sustained load (docs/store.md: the WAL). SQLite's automatic checkpoint runs
 * inside whichever commit crosses the threshold, stalling the event loop, so the store turns it off and a worker
 * thread checkpoints instead, PASSIVE, which never blocks the server. But a PASSIVE checkpoint never lets the WAL
 * start over while writes keep coming (it is never wholly copied at the moment a write begins), so it would grow
 * without end. Past `restartBytes`, right after a pass (little is left to copy), the worker runs a RESTART
 * checkpoint: the server's writes wait for it (the pause, reported), the next one starts the WAL over, and
 * journal_size_limit cuts the file back.
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(path: string, options: CheckpointOptions = DEFAULT_CHECKPOINTS, observer: CheckpointObserver = {}) {
    this.worker = new Worker(WORKER_URL, { workerData: { path, intervalMs: options.intervalMs, restartBytes: options.restartBytes } });
    this.worker.unref();
    this.worker.on("message", (message: unknown) => {
      if (typeof message !== "object" || message === null || !("walBytes" in message)) return;
      const report = message as { walBytes: number; restartMs?: number; error?: string };
      observer.walBytes?.(report.walBytes);
      if (report.restartMs !== undefined) observer.restarted?.(report.restartMs);
      if (report.error !== undefined) observer.error?.(new Error(`WAL checkpoint failed: ${report.error}`));
    });
    // Without a listener an error in the worker would end the process; the store carries on without it.
    this.worker.on("error", (err) => observer.error?.(err));
  }

  async stop(): Promise<void> {
    const stopped = once(this.worker, "message", { signal: AbortSignal.timeout(2000) }).catch(() => {});
    this.worker.postMessage("stop");
    await stopped;
    await this.worker.terminate();
  }
}
