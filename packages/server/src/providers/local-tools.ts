import type { FunctionCall, FunctionDeclaration, GenerateContentRequest } from "./provider.js";

/** "call a tool", "use the function", "invoke tools" …: a request to call something without naming it. */
const ASKS_FOR_A_TOOL = /\b(call|use|invoke|run)\b[^.?!]*\b(tool|function)s?\b/i;

/**
 * How `local` decides to call a function, without a model: the user text names a declared function (the
 * earliest mention wins), or asks for "a tool" (the first declaration), or toolConfig says mode ANY. Mode NONE
 * and allowedFunctionNames are honoured. Returns undefined when the reply should be text.
 */
export function chooseFunctionCall(request: GenerateContentRequest, userText: string): Omit<FunctionCall, "id"> | undefined {
  const fcc = request.toolConfig?.functionCallingConfig;
  if (fcc?.mode === "NONE") return undefined;
  const allowed = fcc?.allowedFunctionNames;
  const declarations = (request.tools ?? [])
    .flatMap((t) => t.functionDeclarations ?? [])
    .filter((d) => allowed === undefined || allowed.length === 0 || allowed.includes(d.name));
  if (declarations.length === 0) return undefined;
  const chosen = earliestMention(declarations, userText) ?? (fcc?.mode === "ANY" || ASKS_FOR_A_TOOL.test(userText) ? declarations[0] : undefined);
  return chosen === undefined ? undefined : { name: chosen.name, args: argsFor(chosen, userText) };
}

function earliestMention(declarations: FunctionDeclaration[], text: string): FunctionDeclaration | undefined {
  let best: { at: number; decl: FunctionDeclaration } | undefined;
  for (const decl of declarations) {
    const match = new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(decl.name)}(?![A-Za-z0-9_])`, "i").exec(text);
    if (match !== null && (best === undefined || match.index < best.at)) best = { at: match.index, decl };
  }
  return best?.decl;
}

/** A JSON-Schema-ish node, read loosely: Gemini's `parameters` (upper-case types) or `parametersJsonSchema`. */
interface SchemaNode {
  type?: unknown;
  enum?: unknown;
  example?: unknown;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: unknown;
}

/**
 * Arguments for the required parameters only, each deterministic: `param=value` or `param: "value"` in the
 * user text if present, else the schema's example, default or first enum value, else a placeholder by type.
 */
function argsFor(decl: FunctionDeclaration, userText: string): Record<string, unknown> {
  const schema = (decl.parameters ?? decl.parametersJsonSchema) as SchemaNode | undefined;
  return objectFor(schema, userText);
}

function objectFor(schema: SchemaNode | undefined, userText: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (schema === undefined || typeof schema !== "object" || !Array.isArray(schema.required)) return args;
  for (const name of schema.required) {
    if (typeof name !== "string") continue;
    args[name] = valueFor(name, schema.properties?.[name], userText);
  }
  return args;
}

function valueFor(name: string, schema: SchemaNode | undefined, userText: string): unknown {
  const type = typeOf(schema);
  const given = new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(name)}\\s*[=:]\\s*(?:"([^"]*)"|([^\\s,;]+))`).exec(userText);
  if (given !== null) return coerce(given[1] ?? given[2] ?? "", type);
  if (schema?.example !== undefined) return schema.example;
  if (schema?.default !== undefined) return schema.default;
  if (Array.isArray(schema?.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (type) {
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return objectFor(schema, userText);
    case "null":
      return null;
    default:
      return `sample ${name}`;
  }
}

function typeOf(schema: SchemaNode | undefined): string {
  const type = Array.isArray(schema?.type) ? schema.type.find((t) => t !== "null" && t !== "NULL") : schema?.type;
  return typeof type === "string" ? type.toLowerCase() : "string";
}

function coerce(text: string, type: string): unknown {
  if ((type === "number" || type === "integer") && text !== "" && Number.isFinite(Number(text))) return Number(text);
  if (type === "boolean" && (text === "true" || text === "false")) return text === "true";
  return text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
