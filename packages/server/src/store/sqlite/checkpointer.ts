import { once } from "node:events";
import { Worker } from "node:worker_threads";

// Workers run compiled JavaScript; when this module runs from TypeScript sources (tests), use the build.
const WORKER_URL = import.meta.url.endsWith(".ts")
  ? new URL("../../../dist/store/sqlite/checkpoint-worker.js", import.meta.url)
  : new URL("./checkpoint-worker.js", import.meta.url);

/**
 * SQLite's automatic checkpoint runs inside whichever commit crosses the threshold, stalling the event
 * loop for milliseconds (the p99 of every request). The store turns it off and this worker checkpoints instead.
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(path: string, intervalMs = 1000) {
    this.worker = new Worker(WORKER_URL, { workerData: { path, intervalMs } });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    const stopped = once(this.worker, "message");
    this.worker.postMessage("stop");
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }
}
