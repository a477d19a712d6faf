import type { FunctionCall, FunctionDeclaration, GenerateContentRequest } from "./provider.js";

/** "call a tool", "use the function", "invoke tools" …: a request to call something without naming it. */
const ASKS_FOR_A_TOOL = /\b(call|use|invoke|run)\b[^.?!]*\b(tool|function)s?\b/i;

/**
 * Words too common to say what a tool is for: a tool named `get_weather` is about the weather, not about
 * getting, so "get me a coffee" should not call it.
 */
const COMMON_WORDS = new Set(
  (
    "the and but for with without what when where which who whom whose how why this that these those from into onto about " +
    "please can could would should will shall may might must you your yours our ours their them they its it's are was were " +
    "been being have has had does did not any all some one get set put make use call run give tell show list find fetch " +
    "let now then there here out off over under just also very much many more most"
  ).split(" "),
);

/** Words after which a place, a name or a thing usually follows: "weather in paris", "news about rust". */
const LEAD_INS = new Set(["in", "at", "for", "from", "to", "near", "about", "of", "on", "called", "named"]);

/**
 * How `local` decides to call a function, without a model (the README's "How the local provider calls tools"
 * lists these rules):
 * 1. toolConfig mode NONE calls nothing; allowedFunctionNames narrows the declarations;
 * 2. the user text names a declared function (the earliest mention wins);
 * 3. else a declaration whose name or description shares a word with the text (the most shared words win,
 *    then the first declared), so "Weather in Paris?" calls `get_weather`;
 * 4. else the text asks for "a tool", or mode is ANY: the first declaration.
 * Returns undefined when the reply should be text. Arguments come from the text (see `argsFor`).
 */
export function chooseFunctionCall(
  request: GenerateContentRequest,
  userText: string,
): Omit<FunctionCall, "id"> | undefined {
  const fcc = request.toolConfig?.functionCallingConfig;
  if (fcc?.mode === "NONE") return undefined;
  const allowed = fcc?.allowedFunctionNames;
  const declarations = (request.tools ?? [])
    .flatMap((t) => t.functionDeclarations ?? [])
    .filter((d) => allowed === undefined || allowed.length === 0 || allowed.includes(d.name));
  if (declarations.length === 0) return undefined;
  const chosen =
    earliestMention(declarations, userText) ??
    mostSharedWords(declarations, userText) ??
    (fcc?.mode === "ANY" || ASKS_FOR_A_TOOL.test(userText) ? declarations[0] : undefined);
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

function mostSharedWords(declarations: FunctionDeclaration[], text: string): FunctionDeclaration | undefined {
  const said = new Set(meaningfulWords(text));
  let best: { shared: number; decl: FunctionDeclaration } | undefined;
  for (const decl of declarations) {
    const own = new Set(meaningfulWords(`${decl.name} ${decl.description ?? ""}`));
    const shared = [...own].filter((w) => said.has(w)).length;
    if (shared > 0 && (best === undefined || shared > best.shared)) best = { shared, decl };
  }
  return best?.decl;
}

/**
 * The words of a text or an identifier, lower-cased, split at `_`, `-` and camelCase humps, without short
 * and common words, a plural `s` folded ("files" and `list_file` share "file").
 */
export function meaningfulWords(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.toLowerCase())
    .filter((w) => w.length >= 3 && !COMMON_WORDS.has(w))
    .map((w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w));
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
 * Arguments for the required parameters (and for optional ones the text gives as `name=value`), each
 * deterministic, in this order of preference:
 * - `name=value` or `name: "value"` in the text;
 * - an enum: the value the text mentions, else the first;
 * - a number: the next number in the text;
 * - a string: the next phrase in the text: a double-quoted text, else a run of capitalised words that does not
 *   start a sentence ("Paris", "New York"), else the word after in/at/for/from/to/near/about/of/on;
 * - else the schema's example or default, else a placeholder by type.
 * Each number and phrase of the text is used once, by the parameters in their declared order.
 */
function argsFor(decl: FunctionDeclaration, userText: string): Record<string, unknown> {
  const schema = (decl.parameters ?? decl.parametersJsonSchema) as SchemaNode | undefined;
  return objectFor(schema, new TextValues(userText));
}

function objectFor(schema: SchemaNode | undefined, text: TextValues): Record<string, unknown> {
  if (schema === undefined || typeof schema !== "object") return {};
  const required = Array.isArray(schema.required)
    ? schema.required.filter((n): n is string => typeof n === "string")
    : [];
  const optional = Object.keys(schema.properties ?? {}).filter((n) => !required.includes(n));
  // What the text spells out (`city: Lima`) is taken first, so that it is not handed to another parameter too.
  const spelled = new Map<string, unknown>();
  for (const name of [...required, ...optional]) {
    const value = text.given(name, typeOf(schema.properties?.[name]));
    if (value !== undefined) spelled.set(name, value);
  }
  const args: Record<string, unknown> = {};
  for (const name of required)
    args[name] = spelled.has(name) ? spelled.get(name) : valueFor(name, schema.properties?.[name], text);
  for (const name of optional) if (spelled.has(name)) args[name] = spelled.get(name);
  return args;
}

function valueFor(name: string, schema: SchemaNode | undefined, text: TextValues): unknown {
  const type = typeOf(schema);
  if (Array.isArray(schema?.enum) && schema.enum.length > 0)
    return text.mentionedOf(schema.enum) ?? schema.example ?? schema.default ?? schema.enum[0];
  const fromText =
    type === "number" || type === "integer" ? text.nextNumber(type) : type === "string" ? text.nextPhrase() : undefined;
  if (fromText !== undefined) return fromText;
  if (schema?.example !== undefined) return schema.example;
  if (schema?.default !== undefined) return schema.default;
  switch (type) {
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return objectFor(schema, text);
    case "null":
      return null;
    default:
      return `sample ${name}`;
  }
}

/** The values a user text offers, each handed out once. */
class TextValues {
  private readonly numbers: number[];
  private readonly phrases: string[];

  constructor(private readonly text: string) {
    this.numbers = [...text.matchAll(/(?<![\p{L}\p{N}_.])-?\d+(?:\.\d+)?(?![\p{L}\p{N}_])/gu)].map((m) => Number(m[0]));
    this.phrases = phrasesOf(text);
  }

  /** `name=value`, `name: value` or `name: "value"`. */
  given(name: string, type: string): unknown {
    const match = new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(name)}\\s*[=:]\\s*(?:"([^"]*)"|([^\\s,;]+))`).exec(
      this.text,
    );
    if (match === null) return undefined;
    const value = match[1] ?? match[2] ?? "";
    const phrase = this.phrases.indexOf(value);
    if (phrase !== -1) this.phrases.splice(phrase, 1);
    const coerced = coerce(value, type);
    const number = typeof coerced === "number" ? this.numbers.indexOf(coerced) : -1;
    if (number !== -1) this.numbers.splice(number, 1);
    return coerced;
  }

  mentionedOf(values: unknown[]): unknown {
    const said = this.text.toLowerCase();
    return values.find(
      (v) =>
        typeof v === "string" &&
        new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(v.toLowerCase())}(?![\\p{L}\\p{N}])`, "u").test(said),
    );
  }

  nextNumber(type: string): number | undefined {
    const at = this.numbers.findIndex((n) => type === "number" || Number.isInteger(n));
    return at === -1 ? undefined : this.numbers.splice(at, 1)[0];
  }

  nextPhrase(): string | undefined {
    return this.phrases.shift();
  }
}

/**
 * Quoted texts, then capitalised runs that do not start a sentence, then the words after a lead-in, in order of
 * appearance.
 */
function phrasesOf(text: string): string[] {
  const quoted = [...text.matchAll(/["“]([^"”]+)["”]/g)].map((m) => (m[1] as string).trim()).filter(Boolean);
  const tokens = [...text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’-]*|[.?!\n]/gu)].map((m) => m[0]);
  const capitalised: string[] = [];
  const afterLeadIn: string[] = [];
  let run: string[] = [];
  const endRun = () => {
    if (run.length > 0) capitalised.push(run.join(" "));
    run = [];
  };
  tokens.forEach((token, i) => {
    const previous = tokens[i - 1];
    const startsSentence = previous === undefined || /^[.?!\n]$/.test(previous);
    const isWord = !/^[.?!\n]$/.test(token);
    if (isWord && /^\p{Lu}/u.test(token) && token.length > 1 && !startsSentence) run.push(token);
    else endRun();
    if (
      isWord &&
      previous !== undefined &&
      LEAD_INS.has(previous.toLowerCase()) &&
      !COMMON_WORDS.has(token.toLowerCase())
    )
      afterLeadIn.push(token);
  });
  endRun();
  return [
    ...new Set([
      ...quoted,
      ...capitalised,
      ...afterLeadIn.filter((w) => !capitalised.some((c) => c.split(" ").includes(w))),
    ]),
  ];
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
