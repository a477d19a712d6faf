import type { Clock, Timer } from "../core/clock.js";
import { rpcCode } from "../core/errors.js";
import type { Interaction } from "../core/interactions.js";
import { ProviderError } from "../providers/provider.js";
import type { InteractionRunnerControl, InteractionService, InteractionTurns } from "../services/interactions.js";
import type { Store } from "../store/store.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";

export interface InteractionRunnerOptions {
  /** Background interactions this process runs at once. */
  maxRunning: number;
  leaseMs: number;
  idlePollMs: number;
}

export const DEFAULT_INTERACTION_RUNNER_OPTIONS: InteractionRunnerOptions = { maxRunning: 8, leaseMs: 60_000, idlePollMs: 5_000 };

export interface InteractionRunnerDeps {
  store: Store;
  interactions: InteractionService;
  turns: InteractionTurns;
  clock: Clock;
  /** A round or a run that broke (not a provider failure, which fails the interaction): logged and counted. */
  onError: (err: unknown, interactionId?: string) => void;
}

/**
 * Runs background interactions: leases one in progress, calls the provider (a model turn, or an agent's steps
 * one after another), and records each call's steps, which commit with the event when the run stops. At
 * `requires_action` the run ends: nothing is kept but the stored interaction, which a new interaction
 * resumes. A cancel aborts the call in flight, so the provider gets no further requests; a lease another
 * process stops renewing (a crash) runs out, and the interaction is run again from what was stored.
 */
export class InteractionRunner implements InteractionRunnerControl {
  private readonly active = new Map<string, AbortController>();
  private readonly loop: WakeableLoop;
  private idle: (() => void) | undefined;

  constructor(
    private readonly deps: InteractionRunnerDeps,
    private readonly options: InteractionRunnerOptions = DEFAULT_INTERACTION_RUNNER_OPTIONS,
  ) {
    this.loop = new WakeableLoop(
      deps.clock,
      () => this.round(),
      (err) => deps.onError(err),
    );
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.loop.stop();
    // What was not recorded is done again by the next start (or another process, once the lease runs out).
    for (const controller of this.active.values()) controller.abort();
    if (this.active.size > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  wake(): void {
    this.loop.wake();
  }

  abort(id: string): void {
    this.active.get(id)?.abort();
  }

  private async round(): Promise<number> {
    while (this.loop.isRunning && this.active.size < this.options.maxRunning) {
      const now = this.deps.clock.now();
      const interaction = await this.deps.store.interactions.claim(now, now + this.options.leaseMs);
      if (interaction === undefined) break;
      void this.run(interaction);
    }
    return this.options.idlePollMs;
  }

  private async run(claimed: Interaction): Promise<void> {
    const { clock, store, interactions, turns, onError } = this.deps;
    const controller = new AbortController();
    this.active.set(claimed.id, controller);
    let renew: Timer | undefined;
    // Renewing also notices a cancel made by another process, and stops calling the provider for it.
    const renewSoon = () => {
      renew = clock.setTimeout(() => {
        void (async () => {
          await store.interactions.renewLease(claimed.id, clock.now() + this.options.leaseMs);
          const current = await store.interactions.get(claimed.projectId, claimed.id);
          if (current?.status !== "in_progress") controller.abort();
        })().catch((err: unknown) => onError(err, claimed.id));
        renewSoon();
      }, this.options.leaseMs / 3);
    };
    renewSoon();
    try {
      let current: Interaction | undefined = claimed;
      while (current?.status === "in_progress" && !controller.signal.aborted) {
        const progress = await turns.next(current, controller.signal);
        current = await interactions.advance(claimed.projectId, claimed.id, progress);
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      if (!(err instanceof ProviderError)) onError(err, claimed.id);
      const error =
        err instanceof ProviderError
          ? { code: rpcCode(err.code), status: err.code, message: err.message }
          : { code: rpcCode("INTERNAL"), status: "INTERNAL", message: `the interaction could not be run: ${err instanceof Error ? err.message : String(err)}` };
      await interactions.fail(claimed.projectId, claimed.id, error).catch((failErr: unknown) => onError(failErr, claimed.id));
    } finally {
      clock.clearTimeout(renew);
      this.active.delete(claimed.id);
      if (this.active.size === 0) this.idle?.();
      this.wake();
    }
  }
}
