import type { CreateInteractionRequest } from "@tidings/sdk/contract";
import { found, invalidArgument, notFound } from "../core/errors.js";
import { newEvent } from "../core/events.js";
import { eventTargetFor } from "../core/fanout.js";
import { newResourceId } from "../core/ids.js";
import type { Page, PageRequest } from "../core/pages.js";
import type { InteractionStep } from "../core/interaction-steps.js";
import {
  checkContinuation,
  conversation,
  earlierContinuation,
  endInteraction,
  interactionName,
  isInteractionFinished,
  markResumed,
  recordProgress,
  type Interaction,
  type InteractionChange,
  type InteractionEnding,
  type InteractionProgress,
} from "../core/interactions.js";
import { sleep } from "../runtime/sleep.js";
import type { StoreAggregates } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import type { KindLeases } from "./leases.js";
import { parseGenerationConfig, parseTools } from "./interaction-request.js";
import { reportStateChange } from "./state-changes.js";
import { parseWebhookConfig } from "./webhook-config.js";

/** Runs one unit of an interaction's work through the providers (providers/interactions/turns.ts). */
export interface InteractionTurns {
  runsAgent(agent: string): boolean;
  /** Rejects with ProviderError; with CANCELLED as soon as `signal` aborts. */
  next(interaction: Interaction, signal?: AbortSignal): Promise<InteractionProgress>;
}

/** A create request whose `input` the HTTP adapter has already read into steps. */
export interface NewInteraction {
  request: Omit<CreateInteractionRequest, "input">;
  input: InteractionStep[];
}

/** For a run inside the request: the caller's hang-up, and each state the interaction passes through. */
export interface InlineRun {
  signal?: AbortSignal;
  onProgress?: (interaction: Interaction) => void;
}

/** How often a stream following a background interaction looks at the store: it may run in another process. */
const FOLLOW_POLL_MS = 200;

/**
 * Interactions (docs/wire.md: interactions). A background one is stored `in_progress` and run by the interaction runner
 * through this service (its leases, advance, fail); one that calls functions stops at `requires_action`,
 * stored and holding nothing else, and is resumed by a new interaction that continues it with the results.
 * Every change of status commits with its event.
 */
export class InteractionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly turns: InteractionTurns,
    /** The interaction runner's claims and renewals: a renewal also tells it of a cancel made by another process. */
    readonly leases: KindLeases<Interaction>,
  ) {}

  /**
   * Creates an interaction. A background one is stored and handed to the runner; any other runs here, to its
   * end (a ProviderError rejects and nothing is stored), and is stored unless `store: false`. One that answers
   * a paused interaction already answered by another with the same input is that other one (a receiver that
   * got interaction.requires_action twice and answered twice): nothing new is run or stored.
   */
  async create(projectId: string, { request, input }: NewInteraction, inline: InlineRun = {}): Promise<Interaction> {
    const previous = await this.previous(projectId, request.previous_interaction_id);
    const earlier = previous && earlierContinuation(previous, await this.continuationOf(projectId, previous), input);
    if (earlier !== undefined) return earlier;
    const interaction = this.prepare(projectId, request, input, previous);
    if (interaction.background) {
      const stored = await this.ctx.store.transaction((tx) => this.insert(tx, interaction, this.ctx.clock.now()));
      if (stored !== interaction) return stored;
      this.reportState(interaction);
      this.ctx.signals.interactions.runnable.ring();
      return interaction;
    }
    let change: InteractionChange = { interaction };
    inline.onProgress?.(interaction);
    while (change.event === undefined) {
      const progress = await this.turns.next(change.interaction, inline.signal);
      change = recordProgress(change.interaction, progress, this.ctx.clock.now());
      inline.onProgress?.(change.interaction);
    }
    if (request.store === false) return change.interaction;
    const now = this.ctx.clock.now();
    const result = await this.ctx.store.transaction(async (tx) => {
      const stored = await this.insert(tx, change.interaction, now);
      return stored === change.interaction ? { stored, published: await this.publish(tx, change, now) } : { stored };
    });
    if (result.stored !== change.interaction) return result.stored;
    this.ctx.outbox.announce(result.published!);
    this.reportState(change.interaction);
    return change.interaction;
  }

  async get(projectId: string, id: string): Promise<Interaction> {
    return found(await this.ctx.store.interactions.get(projectId, id), `interaction ${id}`);
  }

  /** Newest first, for the dashboard: Gemini's interactions API has no list, so neither has ours. */
  list(projectId: string, page: PageRequest): Promise<Page<Interaction>> {
    return this.ctx.store.interactions.list(projectId, page);
  }

  /** Cancels one in progress or waiting for results: sends interaction.cancelled and stops calling the provider. */
  async cancel(projectId: string, id: string): Promise<Interaction> {
    return found(
      await this.change(projectId, id, (current) => endInteraction(current, { kind: "cancel" }, this.ctx.clock.now())),
      `interaction ${id}`,
    );
  }

  /**
   * Deletes it; one still open is cancelled in the same transaction, so its run stops and its end is announced
   * (one resumed goes on in its continuation).
   * The row is locked first, so of concurrent deletes one succeeds and the others find nothing (404).
   */
  async delete(projectId: string, id: string): Promise<void> {
    const now = this.ctx.clock.now();
    const deleted = await this.ctx.store.transaction(async (tx) => {
      const current = await tx.interactions.getForUpdate(projectId, id);
      if (current === undefined) return undefined;
      const change =
        isInteractionFinished(current.status) || current.resumedBy !== undefined
          ? undefined
          : endInteraction(current, { kind: "cancel" }, now);
      const published = change === undefined ? undefined : await this.publish(tx, change, now);
      if (!(await tx.interactions.delete(projectId, id))) return undefined;
      return { cancelled: change?.interaction, published };
    });
    if (deleted === undefined) throw notFound(`interaction ${id}`);
    if (deleted.published !== undefined) this.ctx.outbox.announce(deleted.published);
    if (deleted.cancelled !== undefined) {
      this.reportState(deleted.cancelled);
      this.ctx.signals.interactions.ended.ring(id);
    }
  }

  /** The runner's progress: appended while it is still in progress, else (cancelled meanwhile) undefined. */
  advance(projectId: string, id: string, progress: InteractionProgress): Promise<Interaction | undefined> {
    return this.change(projectId, id, (current) =>
      current.status === "in_progress" ? recordProgress(current, progress, this.ctx.clock.now()) : undefined,
    );
  }

  /** The runner gave up: the interaction fails, unless it stopped meanwhile (then undefined). */
  fail(
    projectId: string,
    id: string,
    error: Extract<InteractionEnding, { kind: "fail" }>["error"],
  ): Promise<Interaction | undefined> {
    return this.change(projectId, id, (current) =>
      current.status === "in_progress"
        ? endInteraction(current, { kind: "fail", error }, this.ctx.clock.now())
        : undefined,
    );
  }

  /**
   * The interaction each time it changes, from now until it stops (anything but in_progress) or `signal`
   * aborts: what a stream of a background interaction shows. It reads the store, so the run may be elsewhere.
   */
  async *follow(projectId: string, id: string, signal: AbortSignal): AsyncGenerator<Interaction> {
    let last: string | undefined;
    for (;;) {
      const interaction = await this.get(projectId, id);
      const seen = `${interaction.status}/${interaction.steps.length}`;
      if (seen !== last) yield interaction;
      last = seen;
      if (interaction.status !== "in_progress" || signal.aborted) return;
      await sleep(FOLLOW_POLL_MS, signal, this.ctx.clock);
    }
  }

  /**
   * Applies `decide` to the locked interaction and commits the result with its event; undefined if it decided nothing.
   */
  private async change(
    projectId: string,
    id: string,
    decide: (current: Interaction) => InteractionChange | undefined,
  ): Promise<Interaction | undefined> {
    const now = this.ctx.clock.now();
    const result = await this.ctx.store.transaction(async (tx) => {
      const current = await tx.interactions.getForUpdate(projectId, id);
      if (current === undefined) return undefined;
      const change = decide(current);
      if (change === undefined) return undefined;
      await tx.interactions.update(change.interaction);
      return {
        interaction: change.interaction,
        moved: change.interaction.status !== current.status,
        published: await this.publish(tx, change, now),
      };
    });
    if (result === undefined) return undefined;
    if (result.published !== undefined) this.ctx.outbox.announce(result.published);
    if (result.moved) this.reportState(result.interaction);
    if (isInteractionFinished(result.interaction.status)) this.ctx.signals.interactions.ended.ring(id);
    return result.interaction;
  }

  private reportState(interaction: Interaction): void {
    reportStateChange(this.ctx, {
      resource: "interaction",
      kind: "interaction",
      name: interactionName(interaction.id),
      state: interaction.status,
    });
  }

  private async publish(tx: StoreAggregates, change: InteractionChange, now: number) {
    if (change.event === undefined) return undefined;
    const { interaction } = change;
    const event = newEvent(interaction.projectId, change.event, now, interactionName(interaction.id));
    return this.ctx.outbox.write(tx, event, eventTargetFor(interaction.webhookConfig), now);
  }

  /**
   * Stores a new interaction. One that answers a paused interaction marks it resumed, in the same transaction
   * and under its lock, so that of two answers racing one continues it; the other gets that one back (or a 400).
   */
  private async insert(tx: StoreAggregates, interaction: Interaction, now: number): Promise<Interaction> {
    const previousId = interaction.previousInteractionId;
    const previous =
      previousId === undefined ? undefined : await tx.interactions.getForUpdate(interaction.projectId, previousId);
    if (previous?.status === "requires_action") {
      const earlier =
        previous.resumedBy === undefined
          ? undefined
          : await tx.interactions.get(previous.projectId, previous.resumedBy);
      const first = earlierContinuation(previous, earlier, interaction.steps.slice(0, interaction.inputCount));
      if (first !== undefined) return first;
      await tx.interactions.update(markResumed(previous, interaction, now));
    }
    await tx.interactions.insert(interaction);
    return interaction;
  }

  /** The continuation that resumed `previous`, if one did and it is still stored. */
  private async continuationOf(projectId: string, previous: Interaction): Promise<Interaction | undefined> {
    return previous.resumedBy === undefined
      ? undefined
      : this.ctx.store.interactions.get(projectId, previous.resumedBy);
  }

  /**
   * Checks a create request and builds the interaction, continuing `previous` (`previous_interaction_id`) when given.
   */
  private prepare(
    projectId: string,
    request: NewInteraction["request"],
    input: InteractionStep[],
    previous: Interaction | undefined,
  ): Interaction {
    const background = request.background === true;
    if (request.webhook_config !== undefined && !background) {
      throw invalidArgument(
        "webhook_config",
        "requires background: true (events announce a background interaction's end; a foreground one answers in the reply)",
      );
    }
    if (background && request.store === false)
      throw invalidArgument(
        "store",
        "a background interaction is always stored; drop store: false or background: true",
      );
    if (request.model !== undefined && request.agent !== undefined)
      throw invalidArgument("agent", "give model or agent, not both");
    if (input.length === 0) throw invalidArgument("input", "is empty; send text, contents or steps");
    checkContinuation(previous, input);

    const agent = request.agent ?? (request.model === undefined ? previous?.agent : undefined);
    const model = request.model ?? (request.agent === undefined ? previous?.model : undefined);
    if (agent === undefined && model === undefined)
      throw invalidArgument(
        "model",
        "is required: name the model (or an agent such as deep-research-pro-preview-12-2025)",
      );
    if (agent !== undefined && !this.turns.runsAgent(agent))
      throw invalidArgument("agent", `"${agent}" is not an agent Tidings runs; use one named deep-research-…`);
    if (agent !== undefined && !background)
      throw invalidArgument("background", "an agent runs in the background: set background: true");

    const tools = request.tools !== undefined ? parseTools(request.tools) : previous?.tools;
    const generationConfig =
      request.generation_config !== undefined
        ? parseGenerationConfig(request.generation_config)
        : previous?.generationConfig;
    const systemInstruction = request.system_instruction ?? previous?.systemInstruction;
    const webhookConfig = parseWebhookConfig(request.webhook_config, "webhook_config", this.ctx.uriRules);
    const now = this.ctx.clock.now();
    return {
      id: newResourceId(now),
      projectId,
      ...(agent !== undefined ? { agent } : { model: model! }),
      status: "in_progress",
      history: previous === undefined ? [] : conversation(previous),
      steps: input,
      inputCount: input.length,
      ...(tools !== undefined ? { tools } : {}),
      ...(systemInstruction !== undefined ? { systemInstruction } : {}),
      ...(generationConfig !== undefined ? { generationConfig } : {}),
      ...(request.agent_config !== undefined ? { agentConfig: request.agent_config } : {}),
      ...(previous !== undefined ? { previousInteractionId: previous.id } : {}),
      ...(webhookConfig !== undefined ? { webhookConfig } : {}),
      background,
      createdAt: now,
      updatedAt: now,
    };
  }

  private async previous(projectId: string, id: string | undefined): Promise<Interaction | undefined> {
    if (id === undefined) return undefined;
    const previous = await this.ctx.store.interactions.get(projectId, id);
    if (previous === undefined)
      throw invalidArgument(
        "previous_interaction_id",
        `interaction ${id} not found; it may have been deleted or never stored (store: false)`,
      );
    return previous;
  }
}
