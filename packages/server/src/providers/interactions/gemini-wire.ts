import { malformedReply } from "../failures.js";
import { ProviderError } from "../provider.js";
import type { InteractionContent, InteractionTurn, InteractionUsage, OutputStep } from "./types.js";

/**
 * Tidings' turn ⇄ Gemini's REST interactions (docs/wire/interactions.md), free of I/O. Each turn is sent
 * whole with `store: false`: Tidings keeps the conversation, so nothing lives at Google that a cancel, a
 * delete or Google's retention would have to reach, and `previous_interaction_id` (which needs `store`) is
 * never used.
 */

const PROVIDER = "gemini";

export interface GeminiInteractionRequest {
  model: string;
  input: InteractionTurn["steps"];
  system_instruction?: string;
  tools?: InteractionTurn["tools"];
  generation_config?: InteractionTurn["generation_config"];
  store: false;
  background: false;
  continuation_token?: string;
}

export function toGeminiInteraction(turn: InteractionTurn): GeminiInteractionRequest {
  return {
    model: turn.model,
    input: turn.steps,
    ...(turn.system_instruction !== undefined ? { system_instruction: turn.system_instruction } : {}),
    ...(turn.tools !== undefined && turn.tools.length > 0 ? { tools: turn.tools } : {}),
    ...(turn.generation_config !== undefined ? { generation_config: turn.generation_config } : {}),
    store: false,
    background: false,
  };
}

export interface GeminiHop {
  steps: OutputStep[];
  usage?: InteractionUsage;
  /** Set when Gemini stopped at its per-request decode limit and the turn goes on with this token. */
  continuationToken?: string;
}

/** One reply: the steps after the input it echoes, checked; a failed interaction becomes a ProviderError. */
export function fromGeminiInteraction(body: unknown): GeminiHop {
  if (!isObject(body)) throw malformedReply(PROVIDER, `expected an Interaction object, got ${kind(body)}`);
  const { status } = body;
  if (typeof status !== "string") throw malformedReply(PROVIDER, "the Interaction has no status");
  if (status === "failed" || status === "cancelled" || status === "budget_exceeded") {
    throw new ProviderError(`the gemini provider ended the interaction ${status}: ${failureMessage(body)}`, {
      status: 502,
      code: "INTERNAL",
      retryable: false,
    });
  }
  if (!["completed", "requires_action", "incomplete", "requires_continuation"].includes(status)) {
    throw malformedReply(PROVIDER, `a synchronous interaction answered with status "${status}"`);
  }
  const raw = body.steps ?? [];
  if (!Array.isArray(raw)) throw malformedReply(PROVIDER, "steps is not an array");
  // The reply may echo the input (or a timeline ending with it); the turn's output is what follows it.
  let from = raw.length;
  while (from > 0 && !isInputStep(raw[from - 1])) from--;
  const steps = raw.slice(from).flatMap((s, i) => outputStep(s, `steps[${from + i}]`));
  const hop: GeminiHop = { steps };
  const usage = toUsage(body.usage);
  if (usage !== undefined) hop.usage = usage;
  if (status === "requires_continuation") {
    if (typeof body.continuation_token !== "string" || body.continuation_token === "")
      throw malformedReply(PROVIDER, "requires_continuation without a continuation_token");
    hop.continuationToken = body.continuation_token;
  }
  return hop;
}

function isInputStep(step: unknown): boolean {
  return isObject(step) && (step.type === "user_input" || step.type === "function_result");
}

function outputStep(step: unknown, field: string): OutputStep[] {
  if (!isObject(step)) throw malformedReply(PROVIDER, `${field} is not an object`);
  switch (step.type) {
    case "model_output":
      return [{ type: "model_output", content: contents(step.content, `${field}.content`) }];
    case "thought":
      return [
        {
          type: "thought",
          ...(typeof step.signature === "string" ? { signature: step.signature } : {}),
          ...(step.summary !== undefined ? { summary: contents(step.summary, `${field}.summary`) } : {}),
        },
      ];
    case "function_call": {
      if (typeof step.id !== "string" || step.id === "")
        throw malformedReply(PROVIDER, `${field} (function_call) has no id`);
      if (typeof step.name !== "string" || step.name === "")
        throw malformedReply(PROVIDER, `${field} (function_call) has no name`);
      return [{ type: "function_call", id: step.id, name: step.name, arguments: callArguments(step.arguments, field) }];
    }
    default:
      // Server-side tool steps (search, code execution…) need tools Tidings never declares.
      return [];
  }
}

function contents(value: unknown, field: string): InteractionContent[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((c) => isObject(c) && typeof c.type === "string"))
    throw malformedReply(PROVIDER, `${field} is not an array of typed contents`);
  return value as InteractionContent[];
}

function callArguments(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (isObject(value)) return value;
  if (typeof value === "string") {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (isObject(parsed)) return parsed;
    } catch {
      // reported below
    }
  }
  throw malformedReply(PROVIDER, `${field}.arguments is not a JSON object`);
}

function toUsage(value: unknown): InteractionUsage | undefined {
  if (!isObject(value)) return undefined;
  const n = (k: string) => (typeof value[k] === "number" ? (value[k] as number) : 0);
  const usage: InteractionUsage = {
    total_input_tokens: n("total_input_tokens"),
    total_output_tokens: n("total_output_tokens"),
    total_tokens: n("total_tokens"),
  };
  if (typeof value.total_thought_tokens === "number") usage.total_thought_tokens = value.total_thought_tokens;
  return usage;
}

function failureMessage(body: Record<string, unknown>): string {
  const errors = Array.isArray(body.errors) ? body.errors : [];
  const first = errors.find(isObject);
  if (first !== undefined && typeof first.message === "string") return first.message;
  const steps = Array.isArray(body.steps) ? body.steps : [];
  const failed = steps.find((s) => isObject(s) && isObject(s.error) && typeof s.error.message === "string") as
    | { error: { message: string } }
    | undefined;
  return failed?.error.message ?? "no reason given";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}
