import { rpcCode } from "../core/errors.js";
import type { Interaction } from "../core/interactions.js";
import { ProviderError } from "../providers/provider.js";
import type { LeasedRunnerOptions, LeasedWork } from "../runtime/leased-runner.js";
import type { InteractionService, InteractionTurns } from "../services/interactions.js";
import type { Store } from "../store/store.js";

/** Background interactions one process runs at once, and their lease. */
export const INTERACTION_RUNNER_OPTIONS: LeasedRunnerOptions = { maxRunning: 8, leaseMs: 60_000, idlePollMs: 5_000 };

export interface InteractionWorkDeps {
  store: Store;
  interactions: InteractionService;
  turns: InteractionTurns;
  /** A run that broke (not a provider failure, which fails the interaction): logged and counted. */
  onError: (err: unknown, interactionId?: string) => void;
}

/**
 * A background interaction's run, leased by a LeasedRunner: it calls the provider (a model turn, or an agent's steps
 * one after another) and records each call's steps, which commit with the event when the run stops. At
 * `requires_action` the run ends: nothing is kept but the stored interaction, which a new interaction
 * resumes. A cancel aborts the call in flight, so the provider gets no further requests; a lease another
 * process stops renewing (a crash) runs out, and the interaction is run again from what was stored.
 */
export class InteractionWork implements LeasedWork<Interaction> {
  constructor(private readonly deps: InteractionWorkDeps) {}

  claim(now: number, lockedUntil: number): Promise<Interaction | undefined> {
    return this.deps.store.interactions.claim(now, lockedUntil);
  }

  /** Renewing also notices a cancel made by another process, and stops calling the provider for it. */
  renew(interaction: Interaction, lockedUntil: number): Promise<boolean> {
    return this.deps.store.interactions.renewLease(interaction.id, lockedUntil);
  }

  async run(claimed: Interaction, signal: AbortSignal): Promise<void> {
    const { interactions, turns, onError } = this.deps;
    try {
      let current: Interaction | undefined = claimed;
      while (current?.status === "in_progress" && !signal.aborted) {
        const progress = await turns.next(current, signal);
        current = await interactions.advance(claimed.projectId, claimed.id, progress);
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof ProviderError)) onError(err, claimed.id);
      const error =
        err instanceof ProviderError
          ? { code: rpcCode(err.code), status: err.code, message: err.message }
          : { code: rpcCode("INTERNAL"), status: "INTERNAL", message: `the interaction could not be run: ${err instanceof Error ? err.message : String(err)}` };
      await interactions.fail(claimed.projectId, claimed.id, error).catch((failErr: unknown) => onError(failErr, claimed.id));
    }
  }
}
