import { invalidArgument } from "../core/errors.js";
import type {
  Content,
  FunctionCallingMode,
  FunctionDeclaration,
  GenerateContentRequest,
  GenerationConfig,
  Part,
  SafetySetting,
  Tool,
  ToolConfig,
} from "./provider.js";

/**
 * Checks a generateContent body and returns it typed, or throws a TidingsError naming the exact field and the
 * fix. `at` prefixes field paths, so the batch runner can report `…requests[3].request.contents` the same way.
 * Fields outside the supported subset are dropped rather than refused: @google/genai sends some (labels,
 * serviceTier) that no provider here acts on.
 */
export function parseGenerateContentRequest(body: unknown, at = ""): GenerateContentRequest {
  const path = (name: string) => (at === "" ? name : `${at}.${name}`);
  if (!isObject(body))
    throw invalidArgument(
      at === "" ? "body" : at,
      'must be a JSON object such as {"contents":[{"role":"user","parts":[{"text":"hello"}]}]}',
    );
  const contents = body.contents;
  if (contents === undefined || (Array.isArray(contents) && contents.length === 0)) {
    throw invalidArgument(
      path("contents"),
      'is required: send at least one Content such as {"role":"user","parts":[{"text":"hello"}]}',
    );
  }
  if (!Array.isArray(contents)) throw invalidArgument(path("contents"), "must be an array of Content objects");
  const request: GenerateContentRequest = {
    contents: contents.map((c, i) => parseContent(c, path(`contents[${i}]`), true)),
  };
  if (body.systemInstruction !== undefined)
    request.systemInstruction = parseContent(body.systemInstruction, path("systemInstruction"), false);
  if (body.generationConfig !== undefined)
    request.generationConfig = parseGenerationConfig(body.generationConfig, path("generationConfig"));
  if (body.tools !== undefined) request.tools = parseTools(body.tools, path("tools"));
  if (body.toolConfig !== undefined) request.toolConfig = parseToolConfig(body.toolConfig, path("toolConfig"));
  if (body.safetySettings !== undefined)
    request.safetySettings = parseSafetySettings(body.safetySettings, path("safetySettings"));
  return request;
}

function parseContent(value: unknown, field: string, withRole: boolean): Content {
  if (!isObject(value))
    throw invalidArgument(field, 'must be a Content object such as {"role":"user","parts":[{"text":"hello"}]}');
  const { role, parts } = value;
  if (withRole && role !== undefined && role !== "user" && role !== "model") {
    throw invalidArgument(`${field}.role`, `must be "user" or "model", not ${JSON.stringify(role)}`);
  }
  if (!Array.isArray(parts) || parts.length === 0)
    throw invalidArgument(`${field}.parts`, 'is required: send at least one Part such as {"text":"hello"}');
  const content: Content = { parts: parts.map((p, i) => parsePart(p, `${field}.parts[${i}]`)) };
  if (withRole && (role === "user" || role === "model")) content.role = role;
  return content;
}

const PART_KINDS = ["text", "inlineData", "fileData", "functionCall", "functionResponse"] as const;

function parsePart(value: unknown, field: string): Part {
  if (!isObject(value)) throw invalidArgument(field, 'must be a Part object such as {"text":"hello"}');
  const kinds = PART_KINDS.filter((k) => value[k] !== undefined);
  // A bare thoughtSignature part is what Gemini 2.5 sometimes replies with; chats echo it back.
  if (kinds.length === 0 && typeof value.thoughtSignature === "string")
    return { thoughtSignature: value.thoughtSignature };
  if (kinds.length !== 1) {
    throw invalidArgument(
      field,
      kinds.length === 0
        ? `must have one of ${PART_KINDS.join(", ")}`
        : `has ${kinds.join(" and ")}; a Part carries exactly one`,
    );
  }
  const part: Part = {};
  if (value.thought !== undefined) part.thought = bool(value.thought, `${field}.thought`);
  if (value.thoughtSignature !== undefined)
    part.thoughtSignature = str(value.thoughtSignature, `${field}.thoughtSignature`);
  switch (kinds[0]) {
    case "text":
      part.text = str(value.text, `${field}.text`);
      break;
    case "inlineData": {
      const blob = obj(value.inlineData, `${field}.inlineData`);
      part.inlineData = {
        mimeType: str(blob.mimeType, `${field}.inlineData.mimeType`),
        data: str(blob.data, `${field}.inlineData.data`),
      };
      break;
    }
    case "fileData": {
      const file = obj(value.fileData, `${field}.fileData`);
      part.fileData = { fileUri: str(file.fileUri, `${field}.fileData.fileUri`) };
      if (file.mimeType !== undefined) part.fileData.mimeType = str(file.mimeType, `${field}.fileData.mimeType`);
      break;
    }
    case "functionCall": {
      const call = obj(value.functionCall, `${field}.functionCall`);
      part.functionCall = { name: str(call.name, `${field}.functionCall.name`) };
      if (call.id !== undefined) part.functionCall.id = str(call.id, `${field}.functionCall.id`);
      if (call.args !== undefined) part.functionCall.args = obj(call.args, `${field}.functionCall.args`);
      break;
    }
    case "functionResponse": {
      const res = obj(value.functionResponse, `${field}.functionResponse`);
      part.functionResponse = {
        name: str(res.name, `${field}.functionResponse.name`),
        response: res.response === undefined ? {} : obj(res.response, `${field}.functionResponse.response`),
      };
      if (res.id !== undefined) part.functionResponse.id = str(res.id, `${field}.functionResponse.id`);
      break;
    }
  }
  return part;
}

function parseGenerationConfig(value: unknown, field: string): GenerationConfig {
  const config = obj(value, field);
  const num = (key: string, min: number, max: number, integer = false) => {
    const v = config[key];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw invalidArgument(
        `${field}.${key}`,
        `must be ${integer ? "an integer" : "a number"} in [${min}, ${max}], not ${JSON.stringify(v)}`,
      );
    }
  };
  num("temperature", 0, 2);
  num("topP", 0, 1);
  num("topK", 1, 1_000_000, true);
  num("maxOutputTokens", 1, 10_000_000, true);
  num("candidateCount", 1, 8, true);
  num("presencePenalty", -2, 2);
  num("frequencyPenalty", -2, 2);
  num("seed", -(2 ** 31), 2 ** 31 - 1, true);
  if (config.stopSequences !== undefined) {
    if (!Array.isArray(config.stopSequences) || !config.stopSequences.every((s) => typeof s === "string")) {
      throw invalidArgument(`${field}.stopSequences`, "must be an array of strings");
    }
  }
  if (config.responseMimeType !== undefined) str(config.responseMimeType, `${field}.responseMimeType`);
  if (config.responseSchema !== undefined) obj(config.responseSchema, `${field}.responseSchema`);
  // Kept whole: `gemini` understands more knobs than this subset, and the others read only what they know.
  return config as GenerationConfig;
}

/** Gemini's own rule for function names. */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/;

function parseTools(value: unknown, field: string): Tool[] {
  if (!Array.isArray(value))
    throw invalidArgument(field, 'must be an array such as [{"functionDeclarations":[{"name":"get_weather"}]}]');
  return value.map((t, i) => {
    const tool = obj(t, `${field}[${i}]`);
    if (tool.functionDeclarations === undefined) return tool as Tool;
    const declsField = `${field}[${i}].functionDeclarations`;
    if (!Array.isArray(tool.functionDeclarations))
      throw invalidArgument(declsField, "must be an array of FunctionDeclaration objects");
    const functionDeclarations = tool.functionDeclarations.map((d, j): FunctionDeclaration => {
      const declField = `${declsField}[${j}]`;
      const decl = obj(d, declField);
      const name = str(decl.name, `${declField}.name`);
      if (!FUNCTION_NAME.test(name)) {
        throw invalidArgument(
          `${declField}.name`,
          "must start with a letter or underscore and hold only letters, digits, _ . : - (at most 128)",
        );
      }
      if (decl.parameters !== undefined && decl.parametersJsonSchema !== undefined) {
        throw invalidArgument(
          `${declField}.parametersJsonSchema`,
          "cannot be set together with parameters; use one of the two",
        );
      }
      if (decl.parameters !== undefined) obj(decl.parameters, `${declField}.parameters`);
      if (decl.description !== undefined) str(decl.description, `${declField}.description`);
      return decl as unknown as FunctionDeclaration;
    });
    return { ...tool, functionDeclarations } as Tool;
  });
}

const MODES: readonly FunctionCallingMode[] = ["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"];

function parseToolConfig(value: unknown, field: string): ToolConfig {
  const config = obj(value, field);
  if (config.functionCallingConfig === undefined) return {};
  const fcc = obj(config.functionCallingConfig, `${field}.functionCallingConfig`);
  const result: NonNullable<ToolConfig["functionCallingConfig"]> = {};
  if (fcc.mode !== undefined) {
    if (!(MODES as readonly unknown[]).includes(fcc.mode))
      throw invalidArgument(`${field}.functionCallingConfig.mode`, `must be one of ${MODES.join(", ")}`);
    result.mode = fcc.mode as FunctionCallingMode;
  }
  if (fcc.allowedFunctionNames !== undefined) {
    if (!Array.isArray(fcc.allowedFunctionNames) || !fcc.allowedFunctionNames.every((n) => typeof n === "string")) {
      throw invalidArgument(
        `${field}.functionCallingConfig.allowedFunctionNames`,
        "must be an array of function names",
      );
    }
    result.allowedFunctionNames = fcc.allowedFunctionNames as string[];
  }
  return { functionCallingConfig: result };
}

function parseSafetySettings(value: unknown, field: string): SafetySetting[] {
  if (!Array.isArray(value))
    throw invalidArgument(
      field,
      'must be an array such as [{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]',
    );
  return value.map((s, i) => {
    const setting = obj(s, `${field}[${i}]`);
    return {
      category: str(setting.category, `${field}[${i}].category`),
      threshold: str(setting.threshold, `${field}[${i}].threshold`),
    };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function obj(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) throw invalidArgument(field, "must be a JSON object");
  return value;
}

function str(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalidArgument(field, value === undefined ? "is required" : "must be a string");
  return value;
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") throw invalidArgument(field, "must be true or false");
  return value;
}
