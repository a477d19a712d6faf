import { minuteOf } from "../core/attempt-stats.js";
import { addPurged, retentionCutoff, sweepIntervalMs, type Purged } from "../core/retention.js";
import type { ServiceContext } from "./context.js";
import type { FileService } from "./files.js";
import type { IdempotencyService } from "./idempotency.js";

/** Rows a step purges at most: one short transaction, well under the 20 ms an event-loop turn may take. */
const STEP = 200;
/** Files deleted per step (each is a blob on disk too). */
const FILE_STEP = 50;

export interface RetentionOptions {
  /** TIDINGS_RETENTION: how long finished records are kept, for a project that says nothing of its own. */
  defaultMs: number;
}

/**
 * Retention (docs/store.md: retention): each project's finished records older than its retention go, in short
 * steps that let the event loop turn between them, and files go at their expireTime. A delivery still pending is
 * never purged, and neither is its event or operation (the store's steps see to that).
 */
export class RetentionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly files: FileService,
    /** Idempotency-Keys past their 24 h: only garbage (an expired key is claimed anew in place), swept here too. */
    private readonly idempotency: Pick<IdempotencyService, "purgeExpired">,
    private readonly options: RetentionOptions,
  ) {}

  /** How often to sweep now: a quarter of the shortest retention of any project, at most 10 minutes. */
  async interval(): Promise<number> {
    const projects = await this.ctx.store.retention.projects();
    return sweepIntervalMs([
      this.options.defaultMs,
      ...projects.flatMap((p) => (p.retentionMs === undefined ? [] : [p.retentionMs])),
    ]);
  }

  /** One sweep over every project; what it purged, by resource. */
  async sweep(): Promise<Purged> {
    const { store, clock } = this.ctx;
    let purged: Purged = {};
    for (const project of await store.retention.projects()) {
      const before = retentionCutoff(clock.now(), project.retentionMs ?? this.options.defaultMs);
      let after: number | undefined = 0;
      while (after !== undefined) {
        const step: { purged: Purged; next?: number } = await store.retention.purgeEvents(
          project.projectId,
          before,
          after,
          STEP,
        );
        purged = addPurged(purged, step.purged);
        after = step.next;
        await turn();
      }
      for (;;) {
        const step = await store.retention.purgeOperations(project.projectId, before, STEP);
        purged = addPurged(purged, step);
        await turn();
        if (Object.keys(step).length === 0) break;
      }
      for (;;) {
        const step = await store.retention.purgeTallies(project.projectId, minuteOf(before), STEP);
        purged = addPurged(purged, step);
        await turn();
        if ((step.tallies ?? 0) < STEP) break;
      }
    }
    await store.retention.purgeDeletedWebhooks(retentionCutoff(clock.now(), this.options.defaultMs));
    const keys = await this.idempotency.purgeExpired();
    return addPurged(addPurged(purged, await this.expireFiles()), keys > 0 ? { idempotency_keys: keys } : {});
  }

  /** Files whose expireTime has passed, with their bytes (as Gemini's Files API keeps a file 48 h). */
  private async expireFiles(): Promise<Purged> {
    let files = 0;
    for (;;) {
      const expired = await this.ctx.store.retention.expiredFiles(this.ctx.clock.now(), FILE_STEP);
      for (const file of expired) files += (await this.files.forget(file.projectId, file.id)) ? 1 : 0;
      await turn();
      if (expired.length < FILE_STEP) return files > 0 ? { files } : {};
    }
  }
}

/** Lets the event loop turn between steps, so a long sweep never holds it. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
