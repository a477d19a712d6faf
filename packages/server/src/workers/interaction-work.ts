import type { Interaction } from "../core/interactions.js";
import { failureError } from "../providers/failure-status.js";
import type { LeasedRunnerOptions, LeasedWork } from "../runtime/leased-runner.js";
import type { InteractionService, InteractionTurns } from "../services/interactions.js";
import { runOrFail } from "./run-or-fail.js";

/** Background interactions one process runs at once, and their lease. */
export const INTERACTION_RUNNER_OPTIONS: LeasedRunnerOptions = { maxRunning: 8, leaseMs: 60_000, idlePollMs: 5_000 };

/**
 * A background interaction's run, leased through its service: it calls the provider (a model turn, or an
 * agent's steps one after another) and records each call's steps, which commit with the event when the run
 * stops. At `requires_action` the run ends: nothing is kept but the stored interaction, which a new
 * interaction resumes. A cancel aborts the call in flight, so the provider gets no further requests; a lease
 * another process stops renewing (a crash) runs out, and the interaction is run again from what was stored.
 */
export class InteractionWork implements LeasedWork<Interaction> {
  constructor(
    private readonly interactions: InteractionService,
    private readonly turns: InteractionTurns,
    /** A run that broke (not a provider failure, which fails the interaction): logged and counted. */
    private readonly onError: (err: unknown, interactionId?: string) => void,
  ) {}

  run(claimed: Interaction, signal: AbortSignal): Promise<void> {
    const { projectId, id } = claimed;
    return runOrFail(
      id,
      signal,
      async () => {
        let current: Interaction | undefined = claimed;
        while (current?.status === "in_progress" && !signal.aborted) {
          current = await this.interactions.advance(projectId, id, await this.turns.next(current, signal));
        }
      },
      (err) =>
        this.interactions.fail(
          projectId,
          id,
          failureError(err, (detail) => `the interaction could not be run: ${detail}`),
        ),
      this.onError,
    );
  }
}
