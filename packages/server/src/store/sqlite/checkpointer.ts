import { Worker } from "node:worker_threads";

// Workers run compiled JavaScript; when this module runs from TypeScript sources (tests), use the build.
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("../../../dist/store/sqlite/checkpoint-worker.js", import.meta.url)
  : new URL("./checkpoint-worker.js", import.meta.url);

/** How long a checkpointer whose thread died waits before it starts another. */
const RESTART_AFTER_MS = 5_000;

/** What the checkpoint thread tells the store: checkpoints started failing (a full disk, say), or work again. */
export type CheckpointReport = { kind: "failed"; code?: string; message: string } | { kind: "recovered" };

/**
 * SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, stalling the event
 * loop for milliseconds (the p99 of every request). The store turns it off and this worker checkpoints instead.
 * A checkpoint that fails (the disk is full) is reported and tried again; it never takes the process down,
 * and neither does the thread dying: another is started.
 */
export class Checkpointer {
  private worker: Worker;
  private stopping = false;
  private restart: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly intervalMs = 1000,
    private readonly onReport: (report: CheckpointReport) => void = () => {},
  ) {
    this.worker = this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restart);
    const worker = this.worker;
    const stopped = new Promise<void>((resolve) => {
      worker.on("message", (message: unknown) => message === "stopped" && resolve());
      worker.once("exit", () => resolve());
    });
    worker.postMessage("stop");
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 2000))]);
    await worker.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_URL, { workerData: { path: this.path, intervalMs: this.intervalMs } });
    worker.unref();
    worker.on("message", (message: unknown) => {
      if (typeof message === "object" && message !== null) this.onReport(message as CheckpointReport);
    });
    worker.on("error", (err: Error & { code?: string }) => {
      this.onReport({ kind: "failed", code: err.code, message: `the checkpoint thread died: ${err.message}` });
      if (this.stopping) return;
      this.restart = setTimeout(() => {
        if (!this.stopping) this.worker = this.spawn();
      }, RESTART_AFTER_MS);
      this.restart.unref();
    });
    return worker;
  }
}
