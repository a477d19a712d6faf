import { setMaxListeners } from "node:events";
import type { Batch, BatchLine } from "../core/batches.js";
import type { Clock, Timer } from "../core/clock.js";
import { TidingsError } from "../core/errors.js";
import { failureError, failureStatus } from "../providers/failure-status.js";
import type { ConcurrencyLimiter } from "../providers/limiter.js";
import type { GenerateContentRequest, Provider } from "../providers/provider.js";
import { parseGenerateContentRequest } from "../providers/request.js";
import { generateWithRetry } from "../providers/retry.js";
import type { LeasedRunnerOptions, LeasedWork } from "../runtime/leased-runner.js";
import type { BatchService } from "../services/batches.js";
import { runOrFail } from "./run-or-fail.js";

/** Batches one process runs at once (the provider limiter bounds the requests across all of them), and their lease. */
export const BATCH_RUNNER_OPTIONS: LeasedRunnerOptions = { maxRunning: 2, leaseMs: 60_000, idlePollMs: 5_000 };

/** Lines taken per round; their results are written a few dozen at a time. */
const CHUNK_SIZE = 128;
const RECORD_WINDOW_MS = 50;
const RECORD_MAX_LINES = 64;

export interface BatchWorkDeps {
  batches: BatchService;
  provider: Provider;
  /** Bounds upstream requests across every batch this process runs. */
  limiter: ConcurrencyLimiter;
  clock: Clock;
  /** A batch that failed: logged as an error and counted on /metrics. */
  onError: (err: unknown, batchId?: string) => void;
}

/**
 * A batch's run, leased through its service: it sends the pending lines to the provider with bounded
 * concurrency, records results chunk by chunk (so a crash redoes only unfinished lines), and ends the batch
 * with its output. Its deadline is the expiry worker's: a cancel or an expiry aborts the run's signal, so the
 * provider gets no further requests.
 */
export class BatchWork implements LeasedWork<Batch> {
  private readonly batches: BatchService;
  private readonly provider: Provider;
  private readonly limiter: ConcurrencyLimiter;
  private readonly clock: Clock;
  private readonly onError: (err: unknown, batchId?: string) => void;

  constructor(deps: BatchWorkDeps) {
    ({
      batches: this.batches,
      provider: this.provider,
      limiter: this.limiter,
      clock: this.clock,
      onError: this.onError,
    } = deps);
  }

  /** Before each round claims, the batches whose create a crash cut short are deleted. */
  async beforeRound(): Promise<void> {
    await this.batches.discardAbandoned();
  }

  /** Unfinished lines stay pending when it stops: the next start (or another process, after the lease) resumes them. */
  run(batch: Batch, signal: AbortSignal): Promise<void> {
    // Every line in flight listens to the batch's signal.
    setMaxListeners(0, signal);
    return runOrFail(
      batch.id,
      signal,
      async () => {
        while (!signal.aborted) {
          // A provider that answers without I/O (local, no delay) and synchronous SQLite would otherwise run
          // the whole batch as one chain of promise callbacks, starving the API and deliveries: yield per chunk.
          await new Promise((resolve) => setImmediate(resolve));
          const lines = await this.batches.pendingLines(batch, CHUNK_SIZE);
          if (lines.length === 0) {
            await this.batches.succeed(batch);
            return;
          }
          const recorder = new LineRecorder(this.clock, (done) => this.batches.record(batch, done));
          await Promise.all(lines.map(async (line) => recorder.add(await this.runLine(batch, line, signal))));
          await recorder.flush();
          // Another process may have cancelled it.
          if (!(await this.batches.isRunning(batch))) return;
        }
      },
      (err) => {
        const { code, message } = failureError(err, (detail) => `the batch could not be completed: ${detail}`);
        return this.batches.fail(batch, { code, message });
      },
      this.onError,
    );
  }

  /** One request; undefined when the batch was aborted first (the line stays pending). */
  private runLine(batch: Batch, line: BatchLine, signal: AbortSignal): Promise<BatchLine | undefined> {
    return this.limiter.run(async () => {
      // Each line starts on a turn of its own, so at most the limiter's worth of lines run between two looks at
      // the sockets: a provider that answers without I/O (local) would otherwise hold the event loop for a whole
      // chunk, over a second with 64 KiB lines.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) return undefined;
      let request: GenerateContentRequest;
      try {
        // The same checks as :generateContent, so a bad line is its own 400 naming the field, never a 500.
        request = parseGenerateContentRequest(JSON.parse(line.request ?? "{}"), "request");
      } catch (err) {
        if (!(err instanceof TidingsError)) throw err;
        return {
          ...line,
          state: "failed",
          result: JSON.stringify({ error: { code: 400, message: err.message, status: err.status } }),
        };
      }
      try {
        const response = await generateWithRetry(this.provider, batch.model.replace(/^models\//, ""), request, {
          signal,
        });
        return { ...line, state: "succeeded", result: JSON.stringify({ response }) };
      } catch (err) {
        if (signal.aborted) return undefined;
        return { ...line, state: "failed", result: JSON.stringify(failureStatus(err, (detail) => detail)) };
      }
    });
  }
}

/**
 * Writes finished lines a few at a time while the rest of the chunk is still running, so a crash redoes
 * only the last few dozen milliseconds of work, not a whole chunk.
 */
class LineRecorder {
  private buffer: BatchLine[] = [];
  private timer: Timer | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly write: (lines: BatchLine[]) => Promise<void>,
  ) {}

  add(line: BatchLine | undefined): void {
    if (line === undefined) return;
    this.buffer.push(line);
    if (this.buffer.length >= RECORD_MAX_LINES) void this.flush();
    else this.timer ??= this.clock.setTimeout(() => void this.flush(), RECORD_WINDOW_MS);
  }

  flush(): Promise<void> {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.buffer;
    this.buffer = [];
    // Serialised, so the batch's counters always move forward in order.
    this.writing = this.writing.then(() => (lines.length > 0 ? this.write(lines) : undefined));
    return this.writing;
  }
}
