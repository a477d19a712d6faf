/**
 * The interaction capability of a provider (docs/wire.md: interactions): given the conversation so far, the model's
 * next
 * steps. Steps and tools use the Interactions wire shapes (docs/wire/interactions.md, snake_case), so a
 * runner can store what a client sent and what a provider answered, and serve both back, unchanged. The
 * step shapes themselves are plain wire types in core/interaction-steps.ts.
 */
import type {
  FunctionTool,
  InteractionGenerationConfig,
  InteractionStep,
  InteractionUsage,
  OutputStep,
} from "../../core/interaction-steps.js";

export type * from "../../core/interaction-steps.js";

export interface InteractionTurn {
  model: string;
  system_instruction?: string;
  /** The whole conversation so far, oldest first; it ends with user input or function results. */
  steps: InteractionStep[];
  tools?: FunctionTool[];
  generation_config?: InteractionGenerationConfig;
}

export interface TurnResult {
  /** The model's new steps, in order: text as `model_output`, calls as `function_call` (each with an id). */
  steps: OutputStep[];
  usage?: InteractionUsage;
}

export interface InteractionProvider {
  /** `local`, `openai` or `gemini`, as in errors. */
  readonly name: string;
  /**
   * One model turn. Stateless: everything the model needs is in `turn`. Rejects only with ProviderError;
   * when `signal` aborts, the upstream request is dropped at once and it rejects with code CANCELLED.
   */
  nextTurn(turn: InteractionTurn, signal?: AbortSignal): Promise<TurnResult>;
  close?(): Promise<void>;
}

/** An agent run (`agent: "deep-research-…"`), as the runner hands it over. */
export interface AgentTask {
  agent: string;
  system_instruction?: string;
  /** The user's steps: what to research. */
  input: InteractionStep[];
}

export interface AgentProgress {
  /** The steps this call added; the runner appends them to what it stored. */
  steps: OutputStep[];
  /** True when the last step is the final report. */
  done: boolean;
  usage?: InteractionUsage;
}

export interface AgentProvider {
  readonly name: string;
  /** Whether `agent` (e.g. `deep-research-pro-preview-12-2025`) runs here. */
  runs(agent: string): boolean;
  /**
   * Does the next unit of work of `task` after the steps it already produced (`progress`, as stored by the
   * runner), and returns the new steps. A runner calls it until `done`, storing and reporting each call's
   * steps and checking for cancellation between calls; after a restart it calls again with what it stored
   * and the run continues where it stopped. Rejects only with ProviderError (CANCELLED when `signal` aborts).
   */
  advance(task: AgentTask, progress: InteractionStep[], signal?: AbortSignal): Promise<AgentProgress>;
}
