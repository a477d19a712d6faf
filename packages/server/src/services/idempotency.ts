import { randomBytes } from "node:crypto";
import type { Timer } from "../core/clock.js";
import { IDEMPOTENCY_CLAIM_MS, judgeRetry, newClaim, type SavedResponse, stillInFlight } from "../core/idempotency.js";
import { sleep } from "../runtime/sleep.js";
import type { ServiceContext } from "./context.js";

/**
 * A request carrying an `Idempotency-Key`: its scope (a project, or the admin key), the key and the request's
 * fingerprint.
 */
export interface IdempotentRequest {
  scope: string;
  key: string;
  fingerprint: string;
}

/** What a request with a key does: replay the first answer, or run, holding the key until it answers. */
export type IdempotencyStart = { kind: "replay"; response: SavedResponse } | { kind: "run"; held: HeldKey };

/**
 * A key this request holds while it runs: it saves the answer, or frees the key for the next request. Either ends it.
 */
export interface HeldKey {
  /** Saves a successful answer: every retry gets it until the key expires. */
  complete(response: SavedResponse): Promise<void>;
  /** Saves nothing (the request failed, or was refused): the next request with the key runs. */
  release(): Promise<void>;
  readonly settled: boolean;
}

export interface IdempotencyOptions {
  /** How long a retry waits for the first request with its key before it is told to retry later. */
  maxWaitMs: number;
  /** How often a retry looks again at a key held by another process. */
  pollMs: number;
}

const PURGE_BATCH = 1000;

export const DEFAULT_IDEMPOTENCY_OPTIONS: IdempotencyOptions = { maxWaitMs: 60_000, pollMs: 200 };

/**
 * `Idempotency-Key`s (core/idempotency.ts). The first request with a key claims it in the store and runs; a
 * concurrent retry waits (for a holder in this process, on its promise; for one in another process sharing
 * PostgreSQL, by looking again every `pollMs`), then replays the saved answer, or runs if the first failed.
 * Answers are sealed at rest: they may carry a webhook's one-time secret or an API key.
 */
export class IdempotencyService {
  /** Keys held by requests running in this process, and what their waiters wait on. */
  private readonly local = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: IdempotencyOptions = DEFAULT_IDEMPOTENCY_OPTIONS,
  ) {}

  async start(request: IdempotentRequest): Promise<IdempotencyStart> {
    const { store, clock, box } = this.ctx;
    const startedAt = clock.now();
    for (;;) {
      const owner = randomBytes(12).toString("base64url");
      const now = clock.now();
      const holder = await store.idempotency.claim(
        newClaim(request.scope, request.key, request.fingerprint, owner, now),
        now,
      );
      if (holder === undefined) return { kind: "run", held: this.hold(request, owner) };
      if (judgeRetry(holder, request.fingerprint) === "replay") {
        return { kind: "replay", response: JSON.parse(box.open(holder.sealedResponse as string)) as SavedResponse };
      }
      const waited = clock.now() - startedAt;
      if (waited >= this.options.maxWaitMs) throw stillInFlight(request.key, waited);
      await this.waitForHolder(request, holder.lockedUntil);
    }
  }

  /**
   * Deletes the keys that have expired, `batchSize` at a time (each delete a short statement, so requests go on
   * between them); how many it deleted.
   */
  async purgeExpired(batchSize = PURGE_BATCH): Promise<number> {
    let purged = 0;
    for (;;) {
      const deleted = await this.ctx.store.idempotency.deleteExpired(this.ctx.clock.now(), batchSize);
      purged += deleted;
      if (deleted < batchSize) return purged;
    }
  }

  /** Until the holder in this process ends, or a look later for one elsewhere (never past its claim's end). */
  private async waitForHolder(request: IdempotentRequest, lockedUntil: number | undefined): Promise<void> {
    const mine = this.local.get(localKey(request));
    if (mine !== undefined) return mine;
    const untilLapse = lockedUntil === undefined ? this.options.pollMs : lockedUntil - this.ctx.clock.now() + 1;
    await sleep(Math.max(1, Math.min(this.options.pollMs, untilLapse)), undefined, this.ctx.clock);
  }

  private hold(request: IdempotentRequest, owner: string): HeldKey {
    const { store, clock, box, log } = this.ctx;
    const { scope, key } = request;
    let ended!: () => void;
    this.local.set(localKey(request), new Promise<void>((resolve) => (ended = resolve)));
    // Renewed while the request runs (a large batch file takes a while), so that no retry takes over a live claim.
    let timer: Timer | undefined;
    const renew = () => {
      timer = clock.setTimeout(() => {
        store.idempotency.renew(scope, key, owner, clock.now() + IDEMPOTENCY_CLAIM_MS).then(
          (held) => (held && !handle.settled ? renew() : undefined),
          (err: unknown) => {
            log.warn({ err }, "could not renew an Idempotency-Key claim; it runs out unless renewed");
            if (!handle.settled) renew();
          },
        );
      }, IDEMPOTENCY_CLAIM_MS / 3);
      timer.unref();
    };
    const settle = async (write: () => Promise<boolean>) => {
      if (handle.settled) return;
      handle.settled = true;
      clock.clearTimeout(timer);
      try {
        await write();
      } finally {
        this.local.delete(localKey(request));
        ended();
      }
    };
    const handle = {
      settled: false,
      complete: (response: SavedResponse) =>
        settle(() => store.idempotency.complete(scope, key, owner, box.seal(JSON.stringify(response)))),
      release: () => settle(() => store.idempotency.release(scope, key, owner)),
    };
    renew();
    return handle;
  }
}

const localKey = (request: IdempotentRequest) => `${request.scope}\u0000${request.key}`;
