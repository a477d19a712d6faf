/**
 * The interaction capability of a provider (DESIGN §2.4): given the conversation so far, the model's next
 * steps. Steps and tools use the Interactions wire shapes (docs/wire/interactions.md, snake_case), so a
 * runner can store what a client sent and what a provider answered, and serve both back, unchanged.
 */

/** A piece of user or model content. Media carries base64 `data` or a `uri`. */
export type InteractionContent =
  | { type: "text"; text: string }
  | { type: "image" | "audio" | "video" | "document"; data?: string; uri?: string; mime_type?: string };

export interface UserInputStep {
  type: "user_input";
  content: InteractionContent[];
}

export interface ModelOutputStep {
  type: "model_output";
  content: InteractionContent[];
}

/** Reasoning. `signature` is opaque and provider-specific: keep it and send it back with the history. */
export interface ThoughtStep {
  type: "thought";
  signature?: string;
  summary?: InteractionContent[];
}

export interface FunctionCallStep {
  type: "function_call";
  /** Unique within the interaction; the matching result's `call_id`. */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface FunctionResultStep {
  type: "function_result";
  call_id: string;
  /** Optional on the wire; providers that need it take it from the matching call. */
  name?: string;
  result: unknown;
  is_error?: boolean;
}

export type InteractionStep = UserInputStep | ModelOutputStep | ThoughtStep | FunctionCallStep | FunctionResultStep;

/** What the model produces in a turn. */
export type OutputStep = ModelOutputStep | ThoughtStep | FunctionCallStep;

/** A function the model may call: `parameters` is JSON Schema (lower-case types), as on the wire. */
export interface FunctionTool {
  type: "function";
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export type ToolChoiceMode = "auto" | "any" | "none" | "validated";

/** The subset of the wire's `generation_config` every provider can honour. */
export interface InteractionGenerationConfig {
  temperature?: number;
  top_p?: number;
  max_output_tokens?: number;
  stop_sequences?: string[];
  seed?: number;
  tool_choice?: ToolChoiceMode | { allowed_tools?: { mode?: ToolChoiceMode; tools?: string[] } };
}

export interface InteractionTurn {
  model: string;
  system_instruction?: string;
  /** The whole conversation so far, oldest first; it ends with user input or function results. */
  steps: InteractionStep[];
  tools?: FunctionTool[];
  generation_config?: InteractionGenerationConfig;
}

/** The wire's `usage`, for one turn. */
export interface InteractionUsage {
  total_input_tokens: number;
  total_output_tokens: number;
  total_thought_tokens?: number;
  total_tokens: number;
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
