import { invalidArgument } from "./errors.js";
import { canonicalJson } from "./json.js";
import { type EventData, type EventPayload, eventPayload } from "./events.js";
import type {
  FunctionCallStep,
  FunctionTool,
  InteractionGenerationConfig,
  InteractionStep,
  InteractionUsage,
  OutputStep,
} from "./interaction-steps.js";
import type { WebhookConfig } from "./operations.js";

/**
 * Interactions (docs/wire.md: interactions): a model turn or an agent run that may pause for function results. The
 * state
 * machine and the event each state change sends live here, free of I/O; the service runs them inside the
 * transaction that stores the change (the outbox), the runner feeds them the provider's progress.
 */
export type InteractionStatus = "in_progress" | "requires_action" | "completed" | "failed" | "cancelled";

/** Why an interaction failed: a google.rpc.Code number for the event, its name for the resource's `errors`. */
export interface InteractionError {
  code: number;
  status: string;
  message: string;
}

export interface Interaction {
  id: string;
  projectId: string;
  /** Exactly one of model and agent. */
  model?: string;
  agent?: string;
  status: InteractionStatus;
  /**
   * The conversation before this interaction (the previous one's history and steps), copied when it was
   * created: a resumed interaction needs no other row, and survives the deletion of the one it continues.
   */
  history: InteractionStep[];
  /** Its own timeline: its input steps (the first `inputCount`), then what the model or agent produced. */
  steps: InteractionStep[];
  inputCount: number;
  tools?: FunctionTool[];
  systemInstruction?: string;
  generationConfig?: InteractionGenerationConfig;
  agentConfig?: Record<string, unknown>;
  previousInteractionId?: string;
  webhookConfig?: WebhookConfig;
  /** Run by the interaction runner, not inside the request that created it. */
  background: boolean;
  error?: InteractionError;
  usage?: InteractionUsage;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  /**
   * The continuation that answered its function calls, once one did. It stays `requires_action` (its own run
   * stopped there, as Gemini's does) but waits for nothing more: a second answer gets that continuation back.
   */
  resumedBy?: string;
}

/** What one call of the provider produced: a model turn (always `done`) or one step of an agent run. */
export interface InteractionProgress {
  steps: OutputStep[];
  usage?: InteractionUsage;
  done: boolean;
}

export type InteractionEnding = { kind: "fail"; error: InteractionError } | { kind: "cancel" };

/** A state change and the event that announces it, when it sends one. */
export interface InteractionChange {
  interaction: Interaction;
  event?: EventPayload;
}

/** Where each status leads; a status not listed is final. */
const NEXT: Record<InteractionStatus, readonly InteractionStatus[]> = {
  in_progress: ["requires_action", "completed", "failed", "cancelled"],
  requires_action: ["cancelled"],
  completed: [],
  failed: [],
  cancelled: [],
};

/**
 * The event each status sends on entering it (docs/wire.md: the event); `in_progress` is where an interaction starts.
 */
const EVENT_TYPE = {
  requires_action: "interaction.requires_action",
  completed: "interaction.completed",
  failed: "interaction.failed",
  cancelled: "interaction.cancelled",
} as const satisfies Record<Exclude<InteractionStatus, "in_progress">, string>;

export function interactionName(id: string): string {
  return `interactions/${id}`;
}

/** Interactions not finished: running, or waiting for a function result. The store's queries name the same set. */
export const UNFINISHED_INTERACTION_STATUSES: readonly InteractionStatus[] = ["in_progress", "requires_action"];

/** Nothing more will happen to it: completed, failed or cancelled. */
export function isInteractionFinished(status: InteractionStatus): boolean {
  return NEXT[status].length === 0;
}

/** The function calls it is waiting for: the calls of its last turn, while it requires action. */
export function pendingCalls(interaction: Interaction): FunctionCallStep[] {
  if (interaction.status !== "requires_action") return [];
  return interaction.steps
    .slice(interaction.inputCount)
    .filter((s): s is FunctionCallStep => s.type === "function_call");
}

/** The whole conversation the provider reads: the history before it, then its own steps. */
export function conversation(interaction: Interaction): InteractionStep[] {
  return [...interaction.history, ...interaction.steps];
}

/**
 * Checks an interaction's input against the one it continues (`previous_interaction_id`). A paused one is
 * resumed by a `function_result` for every call it waits for; a completed one is continued by new input; one
 * still running, failed or cancelled cannot be continued. Every `function_result` must answer a call that is
 * pending there or made earlier in the same input. A conflict is a 400, never a 409: the clients retry 409.
 */
export function checkContinuation(previous: Interaction | undefined, input: readonly InteractionStep[]): void {
  if (previous !== undefined && previous.status !== "requires_action" && previous.status !== "completed") {
    const why =
      previous.status === "in_progress"
        ? "is still in_progress; wait for interaction.requires_action or interaction.completed, then continue it"
        : `ended ${previous.status}; continue a completed interaction, or one that requires action, or start a new one`;
    throw invalidArgument("previous_interaction_id", `interaction ${previous.id} ${why}`);
  }
  const waiting = new Map((previous === undefined ? [] : pendingCalls(previous)).map((call) => [call.id, call]));
  const answered = new Set<string>();
  input.forEach((step, i) => {
    if (step.type === "function_call") waiting.set(step.id, step);
    if (step.type !== "function_result") return;
    const field = `input[${i}].call_id`;
    if (!waiting.has(step.call_id)) {
      const open = [...waiting.keys()].filter((id) => !answered.has(id));
      const expected =
        open.length > 0
          ? `the pending calls are ${open.map((id) => JSON.stringify(id)).join(", ")}`
          : noPendingCalls(previous);
      throw invalidArgument(field, `"${step.call_id}" matches no pending function call; ${expected}`);
    }
    if (answered.has(step.call_id))
      throw invalidArgument(field, `"${step.call_id}" is answered twice; send one function_result per call`);
    answered.add(step.call_id);
  });
  const unanswered = previous === undefined ? [] : pendingCalls(previous).filter((call) => !answered.has(call.id));
  if (unanswered.length > 0) {
    const ids = unanswered.map((call) => `"${call.id}" (${call.name})`).join(", ");
    throw invalidArgument(
      "input",
      `interaction ${previous!.id} waits for the results of ${ids}; send a function_result step for each`,
    );
  }
}

function noPendingCalls(previous: Interaction | undefined): string {
  if (previous === undefined)
    return "a result answers a function_call of the interaction named by previous_interaction_id, or one earlier in this input";
  return `interaction ${previous.id} is ${previous.status} and waits for no function results`;
}

/**
 * An interaction answered twice continues once: webhook receivers are at-least-once, so one may get
 * interaction.requires_action twice and answer twice. When `previous` was already resumed by `earlier`, a second
 * continuation with the same input gets `earlier` back; with other input it is a 400 naming `earlier`.
 * Undefined when `previous` is no paused interaction that was answered (or its continuation is gone): go on.
 */
export function earlierContinuation(
  previous: Interaction,
  earlier: Interaction | undefined,
  input: readonly InteractionStep[],
): Interaction | undefined {
  if (previous.status !== "requires_action" || previous.resumedBy === undefined || earlier === undefined)
    return undefined;
  if (canonicalJson(earlier.steps.slice(0, earlier.inputCount)) === canonicalJson(input)) return earlier;
  throw invalidArgument(
    "previous_interaction_id",
    `interaction ${previous.id} was already resumed by interaction ${earlier.id} with other input; its function calls are answered once: ` +
      `get interaction ${earlier.id} (and continue that one)`,
  );
}

/** The paused interaction that `continuation` answers, marked as resumed by it. */
export function markResumed(previous: Interaction, continuation: Interaction, now: number): Interaction {
  return { ...previous, resumedBy: continuation.id, updatedAt: now };
}

/**
 * Adds what the provider produced to a running interaction. When the run is done it stops: at
 * `requires_action` if the model called functions, else `completed`, each with its event.
 */
export function recordProgress(
  interaction: Interaction,
  progress: InteractionProgress,
  now: number,
): InteractionChange {
  assertTransition(interaction, "in_progress");
  const next: Interaction = {
    ...interaction,
    steps: [...interaction.steps, ...progress.steps],
    usage: addUsage(interaction.usage, progress.usage),
    updatedAt: now,
  };
  if (!progress.done) return { interaction: next };
  const status = progress.steps.some((s) => s.type === "function_call") ? "requires_action" : "completed";
  return transition(next, status, now);
}

/** Fails or cancels an interaction that is running or waiting; a finished one is a 400 naming what it is. */
export function endInteraction(interaction: Interaction, ending: InteractionEnding, now: number): InteractionChange {
  const status = ending.kind === "fail" ? "failed" : "cancelled";
  if (interaction.resumedBy !== undefined) {
    throw invalidArgument(
      "id",
      `interaction ${interaction.id} was resumed by interaction ${interaction.resumedBy}; ${status === "cancelled" ? "cancel" : "end"} that one`,
    );
  }
  if (!NEXT[interaction.status].includes(status)) {
    throw invalidArgument(
      "id",
      `interaction ${interaction.id} is already ${interaction.status}; only one in_progress or requires_action can be ${status}`,
    );
  }
  return transition({ ...interaction, ...(ending.kind === "fail" ? { error: ending.error } : {}) }, status, now);
}

function transition(
  interaction: Interaction,
  status: Exclude<InteractionStatus, "in_progress">,
  now: number,
): InteractionChange {
  assertTransition(interaction, status);
  const next: Interaction = {
    ...interaction,
    status,
    updatedAt: now,
    ...(isInteractionFinished(status) ? { endedAt: now } : {}),
  };
  return { interaction: next, event: interactionEvent(next, status, now) };
}

function assertTransition(interaction: Interaction, to: InteractionStatus): void {
  const allowed = to === "in_progress" ? interaction.status === "in_progress" : NEXT[interaction.status].includes(to);
  if (!allowed) throw new Error(`interaction ${interaction.id}: ${interaction.status} → ${to} is not a transition`);
}

/** The thin event (docs/wire.md: the event) announcing the status it has just entered. */
function interactionEvent(
  interaction: Interaction,
  status: Exclude<InteractionStatus, "in_progress">,
  now: number,
): EventPayload {
  const data: EventData = { id: interaction.id };
  if (status === "requires_action") {
    data.required_actions = pendingCalls(interaction).map((call) => ({
      id: call.id,
      name: call.name,
      arguments: call.arguments,
    }));
  } else if (status === "failed" && interaction.error !== undefined) {
    data.error_code = interaction.error.code;
    data.error_message = interaction.error.message;
  }
  if (interaction.webhookConfig?.user_metadata !== undefined)
    data.user_metadata = interaction.webhookConfig.user_metadata;
  return eventPayload(EVENT_TYPE[status], data, now);
}

/** Usage added up: over an interaction's provider calls, or the hops of one turn. */
export function addUsage(
  total: InteractionUsage | undefined,
  more: InteractionUsage | undefined,
): InteractionUsage | undefined {
  if (more === undefined) return total;
  if (total === undefined) return { ...more };
  const thought = (total.total_thought_tokens ?? 0) + (more.total_thought_tokens ?? 0);
  return {
    total_input_tokens: total.total_input_tokens + more.total_input_tokens,
    total_output_tokens: total.total_output_tokens + more.total_output_tokens,
    ...(total.total_thought_tokens !== undefined || more.total_thought_tokens !== undefined
      ? { total_thought_tokens: thought }
      : {}),
    total_tokens: total.total_tokens + more.total_tokens,
  };
}
