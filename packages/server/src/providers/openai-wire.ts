import { malformedReply, unsupported } from "./failures.js";
import { toJsonSchema, type JsonSchema } from "./json-schema.js";
import type {
  Candidate,
  Content,
  FinishReason,
  GenerateContentRequest,
  GenerateContentResponse,
  Part,
  UsageMetadata,
} from "./provider.js";

/**
 * Gemini ⇄ OpenAI chat-completions translation, kept free of I/O so both directions are unit-testable.
 * Works with vLLM, Ollama, llama.cpp and OpenAI: only widely implemented fields are sent.
 */

const PROVIDER = "openai";

export type ChatContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | ChatContentPart[] }
  | { role: "assistant"; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

export interface ChatTool {
  type: "function";
  function: { name: string; description?: string; parameters: JsonSchema };
}

export type ChatToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  n?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?:
    | { type: "json_object" }
    | { type: "json_schema"; json_schema: { name: string; schema: JsonSchema } };
  tools?: ChatTool[];
  tool_choice?: ChatToolChoice;
}

export function toChatCompletionRequest(model: string, request: GenerateContentRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  if (request.systemInstruction !== undefined) {
    messages.push({ role: "system", content: plainText(request.systemInstruction, "systemInstruction") });
  }
  // OpenAI ties a tool result to its call by id; Gemini's ids are optional, so unnamed calls get positional ids
  // and each unnamed response answers the oldest open call of the same function.
  const open: { id: string; name: string }[] = [];
  request.contents.forEach((content, i) => {
    if (content.role === "model") messages.push(assistantMessage(content, i, open));
    else messages.push(...userMessages(content, i, open));
  });
  const out: ChatCompletionRequest = { model, messages };
  const config = request.generationConfig;
  if (config !== undefined) {
    if (config.maxOutputTokens !== undefined) out.max_tokens = config.maxOutputTokens;
    if (config.temperature !== undefined) out.temperature = config.temperature;
    if (config.topP !== undefined) out.top_p = config.topP;
    if (config.candidateCount !== undefined && config.candidateCount > 1) out.n = config.candidateCount;
    if (config.stopSequences !== undefined && config.stopSequences.length > 0) out.stop = config.stopSequences;
    if (config.seed !== undefined) out.seed = config.seed;
    if (config.presencePenalty !== undefined) out.presence_penalty = config.presencePenalty;
    if (config.frequencyPenalty !== undefined) out.frequency_penalty = config.frequencyPenalty;
    if (config.responseMimeType === "application/json") {
      const schema =
        config.responseJsonSchema !== undefined
          ? (config.responseJsonSchema as JsonSchema)
          : config.responseSchema && toJsonSchema(config.responseSchema);
      out.response_format =
        schema === undefined
          ? { type: "json_object" }
          : { type: "json_schema", json_schema: { name: "response", schema } };
    }
  }
  const tools = chatTools(request);
  if (tools.length > 0) {
    out.tools = tools;
    const choice = toolChoice(request);
    if (choice !== undefined) out.tool_choice = choice;
  }
  return out;
}

function assistantMessage(content: Content, i: number, open: { id: string; name: string }[]): ChatMessage {
  const texts: string[] = [];
  const calls: ChatToolCall[] = [];
  content.parts.forEach((part, j) => {
    if (part.thought === true) return; // reasoning is not replayed to the model
    if (part.text !== undefined) texts.push(part.text);
    else if (part.functionCall !== undefined) {
      const id = part.functionCall.id ?? `call_${i}_${j}`;
      open.push({ id, name: part.functionCall.name });
      calls.push({
        id,
        type: "function",
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    } else if (part.thoughtSignature === undefined) {
      throw unsupported(PROVIDER, `contents[${i}].parts[${j}]`, "a non-text part in a model turn");
    }
  });
  const message: Extract<ChatMessage, { role: "assistant" }> = {
    role: "assistant",
    content: texts.length > 0 ? texts.join("\n") : null,
  };
  if (calls.length > 0) message.tool_calls = calls;
  return message;
}

function userMessages(content: Content, i: number, open: { id: string; name: string }[]): ChatMessage[] {
  const results: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  content.parts.forEach((part, j) => {
    const field = `contents[${i}].parts[${j}]`;
    if (part.functionResponse !== undefined) {
      const { id, name, response } = part.functionResponse;
      const at = id !== undefined ? open.findIndex((c) => c.id === id) : open.findIndex((c) => c.name === name);
      const callId = id ?? open[at]?.id ?? `call_${i}_${j}`;
      if (at >= 0) open.splice(at, 1);
      results.push({ role: "tool", tool_call_id: callId, content: JSON.stringify(response) });
    } else if (part.text !== undefined) {
      if (part.thought !== true) parts.push({ type: "text", text: part.text });
    } else if (part.inlineData !== undefined) {
      if (!part.inlineData.mimeType.startsWith("image/"))
        throw unsupported(PROVIDER, `${field}.inlineData`, `inline ${part.inlineData.mimeType} data`);
      parts.push({
        type: "image_url",
        image_url: { url: `data:${part.inlineData.mimeType};base64,${part.inlineData.data}` },
      });
    } else if (part.fileData !== undefined) {
      throw unsupported(PROVIDER, `${field}.fileData`, "a file reference", "send the data inline (inlineData)");
    } else if (part.functionCall !== undefined) {
      throw unsupported(PROVIDER, `${field}.functionCall`, "a function call in a user turn", "put it in a model turn");
    }
  });
  // Tool results must follow the assistant message that made the calls, before any new user text.
  if (parts.length === 0) return results;
  const onlyText = parts.every((p) => p.type === "text");
  const text = onlyText ? parts.map((p) => (p.type === "text" ? p.text : "")).join("\n") : parts;
  return [...results, { role: "user", content: text }];
}

function plainText(content: Content, field: string): string {
  return content.parts
    .map((p, j) => {
      if (p.text === undefined)
        throw unsupported(PROVIDER, `${field}.parts[${j}]`, "a non-text part in the system instruction");
      return p.text;
    })
    .join("\n");
}

function chatTools(request: GenerateContentRequest): ChatTool[] {
  return (request.tools ?? []).flatMap((tool, i) => {
    const other = Object.keys(tool).find((k) => k !== "functionDeclarations");
    if (other !== undefined)
      throw unsupported(PROVIDER, `tools[${i}].${other}`, `the ${other} tool`, "declare functions instead");
    return (tool.functionDeclarations ?? []).map((d): ChatTool => {
      const parameters =
        d.parametersJsonSchema !== undefined
          ? (d.parametersJsonSchema as JsonSchema)
          : d.parameters !== undefined
            ? toJsonSchema(d.parameters)
            : { type: "object", properties: {} };
      return {
        type: "function",
        function: { name: d.name, ...(d.description !== undefined ? { description: d.description } : {}), parameters },
      };
    });
  });
}

function toolChoice(request: GenerateContentRequest): ChatToolChoice | undefined {
  const fcc = request.toolConfig?.functionCallingConfig;
  switch (fcc?.mode) {
    case "NONE":
      return "none";
    case "ANY": {
      const only = fcc.allowedFunctionNames?.length === 1 ? fcc.allowedFunctionNames[0] : undefined;
      return only !== undefined ? { type: "function", function: { name: only } } : "required";
    }
    case "AUTO":
    case "VALIDATED":
      return "auto";
    default:
      return undefined;
  }
}

const FINISH: Record<string, FinishReason> = {
  stop: "STOP",
  tool_calls: "STOP",
  function_call: "STOP",
  length: "MAX_TOKENS",
  content_filter: "SAFETY",
};

/** Reads a chat-completions reply defensively: servers vary, and a wrong shape must fail loudly, not silently. */
export function fromChatCompletionResponse(model: string, body: unknown): GenerateContentResponse {
  if (!isObject(body)) throw malformedReply(PROVIDER, `expected a JSON object, got ${kind(body)}`);
  if (!Array.isArray(body.choices)) throw malformedReply(PROVIDER, "it has no choices array");
  if (body.choices.length === 0) throw malformedReply(PROVIDER, "its choices array is empty");
  const candidates = body.choices.map((choice, i) => toCandidate(choice, i));
  const response: GenerateContentResponse = {
    candidates,
    modelVersion: typeof body.model === "string" ? body.model : model,
  };
  const usage = toUsage(body.usage);
  if (usage !== undefined) response.usageMetadata = usage;
  if (typeof body.id === "string") response.responseId = body.id;
  return response;
}

function toCandidate(choice: unknown, i: number): Candidate {
  if (!isObject(choice) || !isObject(choice.message))
    throw malformedReply(PROVIDER, `choices[${i}] has no message object`);
  const message = choice.message;
  const parts: Part[] = [];
  let finishReason: FinishReason | undefined;
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === "string" && reasoning !== "") parts.push({ text: reasoning, thought: true });
  const text = contentText(message.content, i);
  if (text !== "") parts.push({ text });
  const calls = [
    ...(Array.isArray(message.tool_calls) ? message.tool_calls : []),
    ...(isObject(message.function_call) ? [{ function: message.function_call }] : []),
  ];
  calls.forEach((call, j) => {
    const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
    if (fn === undefined || typeof fn.name !== "string")
      throw malformedReply(PROVIDER, `choices[${i}].message.tool_calls[${j}] has no function name`);
    const args = parseArguments(fn.arguments);
    if (args === undefined) {
      finishReason = "MALFORMED_FUNCTION_CALL"; // the model's fault, not the server's: report it as Gemini would
      return;
    }
    const id = isObject(call) && typeof call.id === "string" ? call.id : undefined;
    parts.push({ functionCall: { ...(id !== undefined ? { id } : {}), name: fn.name, args } });
  });
  const reason = typeof choice.finish_reason === "string" ? (FINISH[choice.finish_reason] ?? "OTHER") : "STOP";
  return {
    content: { role: "model", parts },
    finishReason: finishReason ?? reason,
    index: typeof choice.index === "number" ? choice.index : i,
  };
}

function contentText(content: unknown, i: number): string {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("");
  throw malformedReply(PROVIDER, `choices[${i}].message.content is ${kind(content)}, not a string`);
}

function parseArguments(args: unknown): Record<string, unknown> | undefined {
  if (args === undefined || args === null || args === "") return {};
  if (isObject(args)) return args; // some servers send an object rather than a JSON string
  if (typeof args !== "string") return undefined;
  try {
    const parsed = JSON.parse(args) as unknown;
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function toUsage(usage: unknown): UsageMetadata | undefined {
  if (!isObject(usage)) return undefined;
  const prompt = typeof usage.prompt_tokens === "number" ? usage.prompt_tokens : 0;
  const completion = typeof usage.completion_tokens === "number" ? usage.completion_tokens : 0;
  const details = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  const reasoning = typeof details.reasoning_tokens === "number" ? details.reasoning_tokens : 0;
  const out: UsageMetadata = {
    promptTokenCount: prompt,
    // Gemini counts thoughts apart from the candidates; OpenAI folds them into completion_tokens.
    candidatesTokenCount: completion - reasoning,
    totalTokenCount: typeof usage.total_tokens === "number" ? usage.total_tokens : prompt + completion,
  };
  if (reasoning > 0) out.thoughtsTokenCount = reasoning;
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}
