import { createHash } from "node:crypto";
import { malformedReply, unsupported } from "../failures.js";
import {
  ProviderError,
  type Content,
  type FunctionCallingMode,
  type GenerateContentRequest,
  type GenerateContentResponse,
  type Part,
} from "../provider.js";
import type { InteractionContent, InteractionTurn, OutputStep, TurnResult } from "./types.js";

/**
 * Interaction turns ⇄ generateContent, kept free of I/O. Through it every Provider (local, openai) answers
 * interactions with the translation it already has: function calls become `functionCall` parts, results
 * `functionResponse` parts, and openai-wire maps those to `tool_calls` and `tool` messages.
 */

export function toGenerateContentRequest(turn: InteractionTurn, provider: string): GenerateContentRequest {
  const contents: Content[] = [];
  const callNames = new Map<string, string>();
  turn.steps.forEach((step, i) => {
    const field = `steps[${i}]`;
    let role: "user" | "model";
    let parts: Part[];
    switch (step.type) {
      case "user_input":
        [role, parts] = ["user", step.content.map((c, j) => toPart(c, `${field}.content[${j}]`, provider))];
        break;
      case "model_output":
        [role, parts] = ["model", step.content.map((c, j) => toPart(c, `${field}.content[${j}]`, provider))];
        break;
      case "thought":
        return; // reasoning is the model's own; these backends neither need nor accept it back
      case "function_call":
        callNames.set(step.id, step.name);
        [role, parts] = ["model", [{ functionCall: { id: step.id, name: step.name, args: step.arguments } }]];
        break;
      case "function_result": {
        const name = step.name ?? callNames.get(step.call_id);
        if (name === undefined) {
          const message = `${field}.call_id: "${step.call_id}" answers no earlier function_call; send the call before its result, or name the function`;
          throw new ProviderError(message, {
            status: 400,
            code: "INVALID_ARGUMENT",
            retryable: false,
            field: `${field}.call_id`,
          });
        }
        [role, parts] = [
          "user",
          [
            {
              functionResponse: {
                id: step.call_id,
                name,
                response: responseObject(step.result, step.is_error === true),
              },
            },
          ],
        ];
        break;
      }
    }
    // Consecutive steps of one side make one turn: a model turn with text and calls, a user turn with results.
    const last = contents[contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  });
  const request: GenerateContentRequest = { contents };
  if (turn.system_instruction !== undefined) request.systemInstruction = { parts: [{ text: turn.system_instruction }] };
  if (turn.tools !== undefined && turn.tools.length > 0) {
    request.tools = [
      {
        functionDeclarations: turn.tools.map((t) => ({
          name: t.name,
          ...(t.description !== undefined ? { description: t.description } : {}),
          ...(t.parameters !== undefined ? { parametersJsonSchema: t.parameters } : {}),
        })),
      },
    ];
  }
  const config = turn.generation_config;
  if (config !== undefined) {
    const g: NonNullable<GenerateContentRequest["generationConfig"]> = {};
    if (config.temperature !== undefined) g.temperature = config.temperature;
    if (config.top_p !== undefined) g.topP = config.top_p;
    if (config.max_output_tokens !== undefined) g.maxOutputTokens = config.max_output_tokens;
    if (config.stop_sequences !== undefined) g.stopSequences = config.stop_sequences;
    if (config.seed !== undefined) g.seed = config.seed;
    if (Object.keys(g).length > 0) request.generationConfig = g;
    const choice = config.tool_choice;
    if (choice !== undefined) {
      const mode = typeof choice === "string" ? choice : choice.allowed_tools?.mode;
      const names = typeof choice === "string" ? undefined : choice.allowed_tools?.tools;
      request.toolConfig = {
        functionCallingConfig: {
          ...(mode !== undefined ? { mode: MODES[mode] } : {}),
          ...(names !== undefined ? { allowedFunctionNames: names } : {}),
        },
      };
    }
  }
  return request;
}

const MODES: Record<string, FunctionCallingMode> = { auto: "AUTO", any: "ANY", none: "NONE", validated: "VALIDATED" };

/**
 * A generation's first candidate as interaction steps: reasoning as `thought`, text as one `model_output`,
 * each function call as a `function_call` with an id (the upstream's, or one derived from the call and the
 * turn, so a repeated turn names its calls the same way).
 */
export function fromGenerateContentResponse(
  turn: InteractionTurn,
  response: GenerateContentResponse,
  provider: string,
): TurnResult {
  const candidate = response.candidates?.[0];
  if (candidate === undefined) {
    const reason = response.promptFeedback?.blockReason ?? "no candidates";
    throw new ProviderError(`the ${provider} provider blocked the prompt (${reason})`, {
      status: 400,
      code: "INVALID_ARGUMENT",
      retryable: false,
    });
  }
  if (candidate.finishReason === "MALFORMED_FUNCTION_CALL")
    throw malformedReply(provider, "the model called a function with arguments that are not a JSON object");
  const steps: OutputStep[] = [];
  const text: InteractionContent[] = [];
  candidate.content.parts.forEach((part, i) => {
    if (part.text !== undefined && part.thought === true)
      steps.push({ type: "thought", summary: [{ type: "text", text: part.text }] });
    else if (part.text !== undefined) text.push({ type: "text", text: part.text });
    else if (part.functionCall !== undefined) {
      const { id, name, args = {} } = part.functionCall;
      steps.push({ type: "function_call", id: id ?? derivedCallId(turn, i, name, args), name, arguments: args });
    }
  });
  if (text.length > 0 || !steps.some((s) => s.type === "function_call")) {
    if (
      text.length === 0 &&
      candidate.finishReason !== undefined &&
      candidate.finishReason !== "STOP" &&
      candidate.finishReason !== "MAX_TOKENS"
    ) {
      throw new ProviderError(`the ${provider} provider stopped without output (${candidate.finishReason})`, {
        status: 400,
        code: "INVALID_ARGUMENT",
        retryable: false,
      });
    }
    // Text precedes the calls it introduces, as in the model's own turn.
    const at = steps.findIndex((s) => s.type === "function_call");
    steps.splice(at < 0 ? steps.length : at, 0, { type: "model_output", content: text });
  }
  const usage = response.usageMetadata;
  return {
    steps,
    ...(usage === undefined
      ? {}
      : {
          usage: {
            total_input_tokens: usage.promptTokenCount,
            total_output_tokens: usage.candidatesTokenCount,
            ...(usage.thoughtsTokenCount !== undefined ? { total_thought_tokens: usage.thoughtsTokenCount } : {}),
            total_tokens: usage.totalTokenCount,
          },
        }),
  };
}

function toPart(content: InteractionContent, field: string, provider: string): Part {
  if (content.type === "text") return { text: content.text };
  const mimeType = content.mime_type;
  if (content.data !== undefined) {
    if (mimeType === undefined)
      throw unsupported(
        provider,
        `${field}.mime_type`,
        `${content.type} data without a mime_type`,
        "say which type it is, e.g. image/png",
      );
    return { inlineData: { mimeType, data: content.data } };
  }
  if (content.uri !== undefined)
    return { fileData: { fileUri: content.uri, ...(mimeType !== undefined ? { mimeType } : {}) } };
  throw unsupported(provider, field, `${content.type} content with neither data nor uri`, "send base64 data or a uri");
}

/** generateContent wants an object: Gemini's convention is `output` for a result and `error` for a failure. */
function responseObject(result: unknown, isError: boolean): Record<string, unknown> {
  if (isError) return { error: result };
  if (typeof result === "object" && result !== null && !Array.isArray(result)) return result as Record<string, unknown>;
  return { output: result };
}

function derivedCallId(turn: InteractionTurn, index: number, name: string, args: Record<string, unknown>): string {
  const digest = createHash("sha256")
    .update(`${turn.model}\n${turn.steps.length}\n${index}\n${name}\n${JSON.stringify(args)}`)
    .digest("hex");
  return `call_${digest.slice(0, 16)}`;
}
