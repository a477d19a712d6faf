import { Worker } from "node:worker_threads";
import { workerScriptUrl } from "../../runtime/worker-script.js";

const WORKER_URL = workerScriptUrl("./checkpoint-worker.js", import.meta.url);

/** How long a checkpointer whose thread died waits before it starts another. */
const RESTART_THREAD_AFTER_MS = 5_000;

/** What the checkpoint thread reports: each pass, checkpoints that start failing (a full disk, say), and work again. */
export type CheckpointMessage =
  | { kind: "checkpointed"; walBytes: number; restartMs?: number }
  | { kind: "failed"; code?: string; message: string }
  | { kind: "recovered" };

/** What the checkpointer tells the server: the WAL's size, a restart and how long writes waited for it, failures. */
export interface CheckpointObserver {
  walBytes?(bytes: number): void;
  restarted?(pauseMs: number): void;
  /** Checkpoints fail (reported once until they work again): the WAL keeps every commit and grows meanwhile. */
  failed?(failure: { code?: string; message: string }): void;
  recovered?(): void;
}

export interface CheckpointOptions {
  /** How often the worker checkpoints (PASSIVE). */
  intervalMs: number;
  /** Once its frames add up to this, the WAL is made to start over from its beginning (a RESTART checkpoint). */
  restartBytes: number;
}

export const DEFAULT_CHECKPOINTS: CheckpointOptions = { intervalMs: 250, restartBytes: 64 * 1024 * 1024 };

/**
 * Keeps the WAL bounded under any sustained load (docs/store.md: the WAL). SQLite's automatic checkpoint runs
 * inside whichever commit crosses the threshold, stalling the event loop, so the store turns it off and a worker
 * thread checkpoints instead, PASSIVE, which never blocks the server. But a PASSIVE checkpoint never lets the WAL
 * start over while writes keep coming (it is never wholly copied at the moment a write begins), so it would grow
 * without end. Once it holds `restartBytes` of frames, right after a pass (little is left to copy), the worker runs
 * a RESTART checkpoint: the server's writes wait for it (the pause, reported) and the next write starts the WAL over
 * from its first frame. A checkpoint that fails (the disk is full) is reported and tried again;
 * it never takes the process down, and neither does the thread dying: another is started.
 */
export class Checkpointer {
  private worker: Worker;
  private stopping = false;
  private restart: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly options: CheckpointOptions = DEFAULT_CHECKPOINTS,
    private readonly observer: CheckpointObserver = {},
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
    const { intervalMs, restartBytes } = this.options;
    const worker = new Worker(WORKER_URL, { workerData: { path: this.path, intervalMs, restartBytes } });
    worker.unref();
    worker.on("message", (message: unknown) => {
      if (typeof message === "object" && message !== null) this.report(message as CheckpointMessage);
    });
    worker.on("error", (err: Error & { code?: string }) => {
      this.observer.failed?.({ code: err.code, message: `the checkpoint thread died: ${err.message}` });
      if (this.stopping) return;
      this.restart = setTimeout(() => {
        if (!this.stopping) this.worker = this.spawn();
      }, RESTART_THREAD_AFTER_MS);
      this.restart.unref();
    });
    return worker;
  }

  private report(message: CheckpointMessage): void {
    switch (message.kind) {
      case "checkpointed":
        this.observer.walBytes?.(message.walBytes);
        if (message.restartMs !== undefined) this.observer.restarted?.(message.restartMs);
        return;
      case "failed":
        this.observer.failed?.(message);
        return;
      case "recovered":
        this.observer.recovered?.();
        return;
    }
  }
}
