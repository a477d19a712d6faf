/**
 * The Interactions wire shapes (docs/wire/interactions.md, snake_case): what a client sends as input, what a
 * provider answers, and what is stored and served back, unchanged. Plain types, shared by the core's state
 * machine and the providers.
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

/** The wire's `usage`, for one turn. */
export interface InteractionUsage {
  total_input_tokens: number;
  total_output_tokens: number;
  total_thought_tokens?: number;
  total_tokens: number;
}
