import type { BatchGenerateContentRequest } from "@tidings/sdk/contract";
import { batchName, finishBatch, isBatchDone, type Batch, type BatchLine, type BatchOutcome } from "../core/batches.js";
import { cancelled, found, invalidArgument, TidingsError } from "../core/errors.js";
import { newEvent } from "../core/events.js";
import { eventTargetFor } from "../core/fanout.js";
import { newResourceId } from "../core/ids.js";
import type { OperationError } from "../core/operations.js";
import type { Page, PageRequest } from "../core/pages.js";
import { DURATION_FORM, parseDuration } from "../core/timestamps.js";
import type { ServiceContext } from "./context.js";
import { jsonlBatchLines, linesFromInline, outputJsonl } from "./batch-input.js";
import type { FileService } from "./files.js";
import type { KindLeases } from "./leases.js";
import { reportStateChange } from "./state-changes.js";
import { untilAborted } from "./until-aborted.js";
import { parseWebhookConfig } from "./webhook-config.js";

const MAX_LINES = 100_000;
/**
 * A hidden batch this old was left by a crash mid-create: a create streams the file without pause (about 10 s per
 * GiB, and files stop at 2 GiB), so none is still going after an hour.
 */
const ABANDONED_AFTER_MS = 60 * 60_000;
/** Abandoned batches taken per sweep, and lines deleted per transaction while one is deleted. */
const DISCARD_BATCHES = 10;
const DISCARD_LINES = 500;
/** Overdue batches expired per sweep; the expiry worker sweeps again while there are more. */
const EXPIRE_BATCHES = 100;
const JSONL_TYPES = [
  "application/jsonl",
  "application/x-ndjson",
  "application/json",
  "application/x-jsonlines",
  "text/plain",
  "text/jsonl",
];

const hungUp = () => cancelled("the caller closed the connection before the batch was created; no batch was created");

/**
 * Batches, from create to their one end: the batch runner leases them and runs their lines through this
 * service (claim, renew, read and record lines, finish), and the expiry worker expires them here.
 */
export class BatchService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly files: FileService,
    /** The batch runner's claims and renewals. */
    readonly leases: KindLeases<Batch>,
    private readonly defaultDeadlineMs: number,
    /** TIDINGS_MAX_BATCH_LINE_BYTES: the longest JSONL input line read; a longer one becomes an error line. */
    private readonly maxLineBytes: number,
  ) {}

  /** `signal` aborts when the caller hangs up: a file batch still being read is then not created. */
  async create(
    projectId: string,
    model: string,
    input: BatchGenerateContentRequest,
    signal?: AbortSignal,
  ): Promise<Batch> {
    const spec = input.batch;
    const now = this.ctx.clock.now();
    const pending: Batch = {
      id: newResourceId(now),
      projectId,
      displayName: spec.displayName ?? "",
      model: model.startsWith("models/") ? model : `models/${model}`,
      state: "BATCH_STATE_PENDING",
      requestCount: 0,
      successfulRequestCount: 0,
      failedRequestCount: 0,
      webhookConfig: parseWebhookConfig(
        spec.webhookConfig && { uris: spec.webhookConfig.uris, user_metadata: spec.webhookConfig.userMetadata },
        "batch.webhookConfig",
        this.ctx.uriRules,
      ),
      deadlineAt: now + this.parseTtl(spec.ttl),
      createdAt: now,
      updatedAt: now,
    };
    const inline = spec.inputConfig?.requests;
    const batch =
      inline !== undefined
        ? await this.insertInline(pending, inline.requests)
        : await this.insertFromFile(pending, spec.inputConfig?.fileName, signal);
    reportStateChange(this.ctx, {
      resource: "operation",
      kind: "batch",
      name: batchName(batch.id),
      state: batch.state,
      detail: { request_count: batch.requestCount },
    });
    this.ctx.signals.batches.runnable.ring();
    this.ctx.signals.expires.ring(batch.deadlineAt);
    return batch;
  }

  async get(projectId: string, id: string): Promise<Batch> {
    return found(await this.ctx.store.batches.get(projectId, id), batchName(id));
  }

  list(projectId: string, page: PageRequest): Promise<Page<Batch>> {
    return this.ctx.store.batches.list(projectId, page);
  }

  /** Lines with their results, for inline responses. */
  lines(batch: Batch): Promise<BatchLine[]> {
    return this.ctx.store.batchLines.all(batch.id);
  }

  async cancel(projectId: string, id: string): Promise<Batch> {
    const batch = await this.get(projectId, id);
    if (isBatchDone(batch.state)) return batch;
    return (await this.finish(projectId, id, { kind: "cancel" })) ?? batch;
  }

  /** Gemini's delete: the batch is no longer of interest. A running one is cancelled first. */
  async delete(projectId: string, id: string): Promise<void> {
    await this.cancel(projectId, id);
    await this.ctx.store.batches.delete(projectId, id);
  }

  /** Ends a batch; its event commits with it. Undefined when it had already ended (a race lost, not an error). */
  async finish(projectId: string, id: string, outcome: BatchOutcome): Promise<Batch | undefined> {
    const now = this.ctx.clock.now();
    const result = await this.ctx.store.transaction(async (tx) => {
      const current = await tx.batches.getForUpdate(projectId, id);
      if (current === undefined || isBatchDone(current.state)) return undefined;
      const { batch, event } = finishBatch(current, outcome, now);
      await tx.batches.update(batch);
      const published = await this.ctx.outbox.write(
        tx,
        newEvent(projectId, event, now, batchName(id)),
        eventTargetFor(batch.webhookConfig),
        now,
      );
      return { batch, published };
    });
    if (result === undefined) return undefined;
    if (outcome.kind !== "succeed") this.ctx.signals.batches.ended.ring(id);
    this.ctx.outbox.announce(result.published);
    reportStateChange(this.ctx, {
      resource: "operation",
      kind: "batch",
      name: batchName(id),
      state: result.batch.state,
    });
    return result.batch;
  }

  /** Up to `limit` of the batch's lines that have no result yet, in input order: what its run sends next. */
  pendingLines(batch: Batch, limit: number): Promise<BatchLine[]> {
    return this.ctx.store.batchLines.pending(batch.id, limit);
  }

  /**
   * Results of the run, written as they come; a line already settled (by a run before a crash) keeps its first result.
   */
  record(batch: Batch, lines: readonly BatchLine[]): Promise<void> {
    return this.ctx.store.batchLines.record(batch.id, lines, this.ctx.clock.now());
  }

  /** Whether it has not ended: another process may have cancelled it, or expired it, while its lines ran here. */
  async isRunning(batch: Batch): Promise<boolean> {
    const current = await this.ctx.store.batches.get(batch.projectId, batch.id);
    return current !== undefined && !isBatchDone(current.state);
  }

  /** Every line has its result: the output file is written and the batch succeeds with it. */
  async succeed(batch: Batch): Promise<Batch | undefined> {
    const outputFile = await this.writeOutput(batch);
    return this.finish(batch.projectId, batch.id, { kind: "succeed", outputFile });
  }

  /** Its run broke: it fails with that error. */
  fail(batch: Batch, error: OperationError): Promise<Batch | undefined> {
    return this.finish(batch.projectId, batch.id, { kind: "fail", error });
  }

  /**
   * Expires unfinished batches past their deadline (the provider gets no further requests for them); returns how many.
   */
  async expireDue(): Promise<number> {
    const due = await this.ctx.store.batches.listExpired(this.ctx.clock.now(), EXPIRE_BATCHES);
    for (const batch of due) await this.finish(batch.projectId, batch.id, { kind: "expire" });
    return due.length;
  }

  /** When the next unfinished batch reaches its deadline, if any. */
  nextExpiry(): Promise<number | undefined> {
    return this.ctx.store.batches.nextDeadlineAt();
  }

  /**
   * Batches whose create a crash cut short (hidden, and older than any create takes): deleted with their lines,
   * a short transaction at a time. Returns how many it found; the sweeper calls again while there are more.
   */
  async discardAbandoned(): Promise<number> {
    const abandoned = await this.ctx.store.batches.listHidden(
      this.ctx.clock.now() - ABANDONED_AFTER_MS,
      DISCARD_BATCHES,
    );
    for (const id of abandoned) {
      await this.discard(id);
      this.ctx.log.warn(
        { batch: batchName(id) },
        `${batchName(id)} was left half-created by a crash; deleted it with its lines`,
      );
    }
    return abandoned.length;
  }

  private async insertInline(pending: Batch, requests: unknown): Promise<Batch> {
    const lines = linesFromInline(requests, "batch.inputConfig.requests.requests");
    if (lines.length > MAX_LINES)
      throw invalidArgument("batch.inputConfig", `has ${lines.length} requests; at most ${MAX_LINES} per batch`);
    const batch = {
      ...pending,
      requestCount: lines.length,
      failedRequestCount: lines.filter((l) => l.state === "failed").length,
    };
    await this.ctx.store.batches.insert(batch, lines);
    return batch;
  }

  /**
   * The file's lines go into the store a chunk at a time as it is read, each chunk in a short transaction of its
   * own, into a batch that stays hidden until its input is complete: memory holds a chunk, not the file (which
   * may be 2 GiB), and other work runs between chunks instead of waiting for the whole file. A file found wanting
   * halfway, a caller that hangs up or a failed read leaves no batch behind: the hidden one is deleted again.
   */
  private async insertFromFile(pending: Batch, fileName: unknown, signal: AbortSignal | undefined): Promise<Batch> {
    const field = "batch.inputConfig.fileName";
    if (typeof fileName !== "string")
      throw invalidArgument(
        "batch.inputConfig",
        "needs requests.requests (inline) or fileName (an uploaded JSONL file)",
      );
    const fileId = fileName.replace(/^files\//, "");
    let opened: Awaited<ReturnType<FileService["open"]>>;
    try {
      opened = await this.files.open(pending.projectId, fileId);
    } catch (err) {
      if (err instanceof TidingsError && err.status === "NOT_FOUND")
        throw invalidArgument(field, `${fileName} not found; upload it with ai.files.upload first`);
      throw err;
    }
    try {
      const mime = opened.file.mimeType.split(";")[0]?.trim() ?? "";
      if (!JSONL_TYPES.includes(mime))
        throw invalidArgument(
          field,
          `${fileName} is ${mime || "of no type"}; a batch input must be JSONL (application/jsonl)`,
        );
      const hidden = { ...pending, inputFile: `files/${fileId}` };
      await this.ctx.store.batches.insertHidden(hidden);
      try {
        await this.appendFileLines(
          hidden.id,
          untilAborted(jsonlBatchLines(opened.stream, this.maxLineBytes), signal, hungUp),
          fileName,
        );
        if (signal?.aborted === true) throw hungUp();
        const batch = await this.ctx.store.batches.reveal(hidden.id, this.ctx.clock.now());
        if (batch === undefined)
          throw new Error(`${batchName(hidden.id)} was deleted while its input was read, as if abandoned`);
        return batch;
      } catch (err) {
        await this.discard(hidden.id).catch((discardErr: unknown) =>
          this.ctx.log.error(
            { err: discardErr, batch: batchName(hidden.id) },
            "could not delete a batch whose create failed; the sweeper will",
          ),
        );
        throw err;
      }
    } finally {
      opened.stream.destroy();
    }
  }

  /** Each chunk of input lines in a transaction of its own; the limits are checked as the lines come. */
  private async appendFileLines(batchId: string, chunks: AsyncIterable<BatchLine[]>, fileName: string): Promise<void> {
    const field = "batch.inputConfig.fileName";
    let requestCount = 0;
    let failedRequestCount = 0;
    for await (const chunk of chunks) {
      requestCount += chunk.length;
      if (requestCount > MAX_LINES)
        throw invalidArgument(field, `${fileName} has more than ${MAX_LINES} requests; at most ${MAX_LINES} per batch`);
      failedRequestCount += chunk.filter((line) => line.state === "failed").length;
      await this.ctx.store.batchLines.append(batchId, chunk);
    }
    if (requestCount === failedRequestCount)
      throw invalidArgument(field, `${fileName} is not JSONL: no line is a {"key", "request"} JSON object`);
  }

  /** Deletes a hidden batch and its lines, a short transaction at a time. */
  private async discard(batchId: string): Promise<void> {
    while (!(await this.ctx.store.batches.discardHidden(batchId, DISCARD_LINES)));
  }

  /** Writes the JSONL output: one line per input line, every key exactly once. */
  private async writeOutput(batch: Batch): Promise<string> {
    const file = await this.files.create(
      batch.projectId,
      {
        displayName: `${batch.displayName || batchName(batch.id)} responses`,
        mimeType: "application/jsonl",
        source: "GENERATED",
      },
      outputJsonl((from, limit) => this.ctx.store.batchLines.page(batch.id, from, limit)),
    );
    return `files/${file.id}`;
  }

  private parseTtl(ttl: string | undefined): number {
    if (ttl === undefined) return this.defaultDeadlineMs;
    const ms = parseDuration(ttl);
    if (ms === undefined) throw invalidArgument("batch.ttl", `must be ${DURATION_FORM}, not ${JSON.stringify(ttl)}`);
    return ms;
  }
}
