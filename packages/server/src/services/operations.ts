import type { CompleteOperationRequest, CreateOperationRequest, FailOperationRequest } from "@tidings/sdk/contract";
import { found, invalidArgument, notFound, TidingsError } from "../core/errors.js";
import { customTypeProblem } from "../core/event-types.js";
import { newEvent } from "../core/events.js";
import { NaturalBatcher, type Settled } from "../runtime/natural-batcher.js";
import { eventTargetFor } from "../core/fanout.js";
import { newResourceId } from "../core/ids.js";
import {
  alreadyEnded,
  endedEvent,
  operationEnding,
  operationName,
  parseOperationFilter,
  type Operation,
  type OperationAction,
  type OperationRef,
} from "../core/operations.js";
import type { Batch } from "../core/batches.js";
import type { VideoOperation } from "../core/videos.js";
import type { Page, PageRequest } from "../core/pages.js";
import { parseTimestamp } from "../core/timestamps.js";
import type { ServiceContext } from "./context.js";
import { reportStateChange } from "./state-changes.js";
import { parseWebhookConfig } from "./webhook-config.js";

/** An entry of the polling surface, of whichever kind. */
export type ListedOperation =
  | { kind: "custom"; operation: Operation }
  | { kind: "batch"; batch: Batch }
  | { kind: "video"; video: VideoOperation };

interface FinishRequest {
  projectId: string;
  id: string;
  action: OperationAction;
}

/** At most this many endings share a transaction. */
const MAX_FINISH_BATCH = 256;

/** Custom operations: jobs that users' own workers run and Tidings announces (docs/wire.md: operations). */
export class OperationService {
  private readonly finisher = new NaturalBatcher<FinishRequest, Operation>(
    (requests) => this.finishMany(requests),
    MAX_FINISH_BATCH,
  );

  constructor(private readonly ctx: ServiceContext) {}

  async create(projectId: string, input: CreateOperationRequest): Promise<Operation> {
    const problem = customTypeProblem(input.type);
    if (problem !== undefined) throw invalidArgument("type", problem);
    const now = this.ctx.clock.now();
    const operation: Operation = {
      id: newResourceId(now),
      projectId,
      type: input.type,
      state: "running",
      metadata: input.metadata ?? {},
      webhookConfig: parseWebhookConfig(input.webhook_config, "webhook_config", this.ctx.uriRules),
      expireAt: this.parseExpireTime(input.expire_time, now),
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.store.operations.insert(operation);
    this.reportState(operation);
    if (operation.expireAt !== undefined) this.ctx.signals.expires.ring(operation.expireAt);
    return operation;
  }

  async get(projectId: string, id: string): Promise<Operation> {
    return found(await this.ctx.store.operations.get(projectId, id), operationName(id));
  }

  /** The polling surface: operations of every kind (custom, batches, videos), oldest first. */
  async list(projectId: string, filter: string | undefined, page: PageRequest): Promise<Page<ListedOperation>> {
    const refs = await this.ctx.store.operations.listAllKinds(projectId, parseOperationFilter(filter), page);
    const ids = (kind: OperationRef["kind"]) => refs.items.filter((r) => r.kind === kind).map((r) => r.id);
    const custom = new Map((await this.ctx.store.operations.getMany(projectId, ids("custom"))).map((o) => [o.id, o]));
    const batches = new Map((await this.ctx.store.batches.getMany(projectId, ids("batch"))).map((b) => [b.id, b]));
    const videos = new Map((await this.ctx.store.videos.getMany(projectId, ids("video"))).map((v) => [v.id, v]));
    // An entry deleted between the two reads is left out.
    const items = refs.items.flatMap((ref): ListedOperation[] => {
      switch (ref.kind) {
        case "custom": {
          const operation = custom.get(ref.id);
          return operation === undefined ? [] : [{ kind: "custom", operation }];
        }
        case "batch": {
          const batch = batches.get(ref.id);
          return batch === undefined ? [] : [{ kind: "batch", batch }];
        }
        case "video": {
          const video = videos.get(ref.id);
          return video === undefined ? [] : [{ kind: "video", video }];
        }
      }
    });
    return { ...refs, items };
  }

  /**
   * google.longrunning's DeleteOperation: a finished operation goes with its events, their deliveries (pending ones
   * too) and attempts, the erasure a GDPR request needs. One still running is a 400: cancel it first.
   */
  async delete(projectId: string, id: string): Promise<void> {
    const name = operationName(id);
    await this.ctx.store.transaction(async (tx) => {
      const [operation] = await tx.operations.getManyForUpdate([{ projectId, id }]);
      if (operation === undefined) throw notFound(name);
      // A 400, as the issue and Google's mapping of FAILED_PRECONDITION say; the path names the operation.
      if (operation.state === "running")
        throw invalidArgument("name", `${name} is still running; cancel it (:cancel) before deleting it`);
      await tx.retention.eraseEvents(projectId, name);
      await tx.operations.delete(projectId, id);
    });
  }

  /** `:complete`: the operation succeeded; sends `{type}.succeeded`. */
  async complete(projectId: string, id: string, input: CompleteOperationRequest): Promise<Operation> {
    return this.finish(projectId, id, {
      kind: "complete",
      response: input.response,
      outputFileUri: input.output_file_uri,
    });
  }

  /** `:fail`: the operation failed; sends `{type}.failed`. The code defaults to 2 (UNKNOWN). */
  async fail(projectId: string, id: string, input: FailOperationRequest): Promise<Operation> {
    const { code = 2, message } = input.error;
    return this.finish(projectId, id, { kind: "fail", error: { code, message } });
  }

  /** `:cancel`: sends `{type}.cancelled`. */
  async cancel(projectId: string, id: string): Promise<Operation> {
    return this.finish(projectId, id, { kind: "cancel" });
  }

  /**
   * Ends a running operation; its event and deliveries commit in the same transaction. Calls that arrive
   * while one is being written go together in the next transaction (see finishMany).
   */
  finish(projectId: string, id: string, action: OperationAction): Promise<Operation> {
    return this.finisher.submit({ projectId, id, action });
  }

  /** Expires running operations past their expire_time, together; returns how many. */
  async expireDue(): Promise<number> {
    const due = await this.ctx.store.operations.listExpired(this.ctx.clock.now(), 500);
    const outcomes = await Promise.allSettled(
      due.map((operation) => this.finish(operation.projectId, operation.id, { kind: "expire" })),
    );
    for (const outcome of outcomes) {
      // One that ended between the query and now has nothing to expire. Anything else is the sweep failing.
      if (
        outcome.status === "rejected" &&
        !(outcome.reason instanceof TidingsError && outcome.reason.status === "FAILED_PRECONDITION")
      )
        throw outcome.reason;
    }
    return outcomes.filter((o) => o.status === "fulfilled").length;
  }

  /** When the next running operation reaches its expire_time, if any. */
  nextExpiry(): Promise<number | undefined> {
    return this.ctx.store.operations.nextExpireAt();
  }

  /**
   * Many endings in one transaction, in a handful of statements whatever their number: the operations ended
   * together where they still run (store: endMany), their events and deliveries written by the outbox together.
   * Each request gets its own outcome: one that is not found or already ended fails alone, and a second ending of
   * the same operation in the batch fails as it would after the first.
   */
  private async finishMany(requests: readonly FinishRequest[]): Promise<Settled<Operation>[]> {
    const now = this.ctx.clock.now();
    const key = (projectId: string, id: string) => `${projectId}/${id}`;
    const firsts = new Map<string, FinishRequest>();
    for (const request of requests) {
      const k = key(request.projectId, request.id);
      if (!firsts.has(k)) firsts.set(k, request);
    }
    const { outcomes, published } = await this.ctx.store.transaction(async (tx) => {
      const ended = new Map(
        (
          await tx.operations.endMany(
            [...firsts.values()].map((r) => ({ ...r, ending: operationEnding(r.action, now) })),
          )
        ).map((o) => [key(o.projectId, o.id), o]),
      );
      // Only a request that fails reads its operation again, to tell "not found" from "already ended".
      const missed = [...firsts.values()].filter((r) => !ended.has(key(r.projectId, r.id)));
      const found = new Map((await tx.operations.getManyForUpdate(missed)).map((o) => [key(o.projectId, o.id), o]));
      const outcomes = requests.map((request): Settled<Operation> => {
        const k = key(request.projectId, request.id);
        const operation = ended.get(k);
        if (operation !== undefined && firsts.get(k) === request) return { ok: true, value: operation };
        const current = operation ?? found.get(k);
        return {
          ok: false,
          error: current === undefined ? notFound(operationName(request.id)) : alreadyEnded(current),
        };
      });
      // In the requests' order, as their events would be one by one.
      const events = [...firsts.keys()]
        .flatMap((k) => ended.get(k) ?? [])
        .map((operation) => ({
          event: newEvent(operation.projectId, endedEvent(operation), now, operationName(operation.id)),
          target: eventTargetFor(operation.webhookConfig),
        }));
      return { outcomes, published: await this.ctx.outbox.writeMany(tx, events, now) };
    });
    this.ctx.outbox.announce(...published);
    for (const outcome of outcomes) {
      if (!outcome.ok) continue;
      this.reportState(outcome.value);
    }
    return outcomes;
  }

  private parseExpireTime(value: string | undefined, now: number): number | undefined {
    if (value === undefined) return undefined;
    const at = parseTimestamp(value, "expire_time");
    if (at <= now) throw invalidArgument("expire_time", "must be in the future");
    return at;
  }

  private reportState(operation: Operation): void {
    reportStateChange(this.ctx, {
      resource: "operation",
      kind: "custom",
      name: operationName(operation.id),
      state: operation.state,
      detail: { type: operation.type },
    });
  }
}
