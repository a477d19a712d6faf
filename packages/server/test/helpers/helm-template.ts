/**
 * Renders a Helm chart's templates the way `helm template` does, for the part of Helm's template language that
 * deploy/helm/tidings uses (there is no helm binary on these machines): `{{ }}` actions with `-` trimming and
 * comments; `define`, `if`/`else`/`end`; pipelines over `.Values…`, `.Release…`, `.Chart…`, string and number
 * literals and parenthesised pipelines; the functions `include`, `dict`, `not`, `quote`, `default`,
 * `required`, `toYaml`, `nindent`, `indent`, `b64enc`, `sha256sum`, `trunc` and `trimSuffix`. Anything else
 * throws, so a chart that outgrows this renderer fails its test rather than being half-rendered.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";

type Node = { text: string } | { pipeline: string } | { if: string; yes: Node[]; no: Node[] };
type Value = unknown;

/** `{{- x -}}` → the action's text and whether it trims on either side; comments are dropped. */
function tokenize(source: string): ({ text: string } | { action: string })[] {
  const tokens: ({ text: string } | { action: string })[] = [];
  let at = 0;
  let trimNext = false;
  while (at < source.length) {
    const open = source.indexOf("{{", at);
    let text = source.slice(at, open === -1 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (open === -1) {
      tokens.push({ text });
      break;
    }
    const close = source.indexOf("}}", open);
    if (close === -1) throw new Error(`unclosed {{ at ${open}`);
    let inner = source.slice(open + 2, close);
    if (inner.startsWith("-")) {
      text = text.replace(/\s+$/, "");
      inner = inner.slice(1);
    }
    trimNext = inner.endsWith("-");
    if (trimNext) inner = inner.slice(0, -1);
    tokens.push({ text });
    inner = inner.trim();
    if (!(inner.startsWith("/*") && inner.endsWith("*/"))) tokens.push({ action: inner });
    at = close + 2;
  }
  return tokens;
}

/** Parses tokens into nodes, collecting `define`s into `defines`. */
function parseNodes(tokens: ({ text: string } | { action: string })[], defines: Map<string, Node[]>): Node[] {
  let i = 0;
  const block = (): { nodes: Node[]; ended: "end" | "else" | "eof" } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const token = tokens[i++] as { text: string } | { action: string };
      if ("text" in token) {
        if (token.text !== "") nodes.push({ text: token.text });
        continue;
      }
      const action = token.action;
      if (action === "end") return { nodes, ended: "end" };
      if (action === "else") return { nodes, ended: "else" };
      const define = /^define\s+"([^"]+)"$/.exec(action);
      if (define !== null) {
        const body = block();
        if (body.ended !== "end") throw new Error(`define "${define[1]}" has no end`);
        defines.set(define[1] as string, body.nodes);
        continue;
      }
      if (action.startsWith("if ")) {
        const then = block();
        const otherwise = then.ended === "else" ? block() : { nodes: [], ended: "end" as const };
        if (otherwise.ended !== "end") throw new Error(`if ${action} has no end`);
        nodes.push({ if: action.slice(3).trim(), yes: then.nodes, no: otherwise.nodes });
        continue;
      }
      if (/^(range|with|else if|template|block)\b|:=/.test(action))
        throw new Error(`unsupported action {{ ${action} }}`);
      nodes.push({ pipeline: action });
    }
    return { nodes, ended: "eof" };
  };
  const top = block();
  if (top.ended !== "eof") throw new Error(`unexpected {{ ${top.ended} }}`);
  return top.nodes;
}

/** Go templates' truth: false, 0, nil and empty strings, lists and maps are false. */
function truthy(value: Value): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

/** Splits at top-level separators (spaces or pipes), keeping quoted strings and parentheses whole. */
function split(text: string, separator: " " | "|"): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const c of text) {
    if (c === '"' && !current.endsWith("\\")) quoted = !quoted;
    if (!quoted && c === "(") depth++;
    if (!quoted && c === ")") depth--;
    if (!quoted && depth === 0 && (separator === "|" ? c === "|" : /\s/.test(c))) {
      if (current.trim() !== "") parts.push(current.trim());
      current = "";
    } else {
      current += c;
    }
  }
  if (current.trim() !== "") parts.push(current.trim());
  return parts;
}

export class HelmChart {
  private readonly defines = new Map<string, Node[]>();
  private readonly templates: { name: string; nodes: Node[] }[] = [];

  constructor(private readonly dir: string) {
    const templates = join(dir, "templates");
    for (const file of readdirSync(templates).sort()) {
      const nodes = parseNodes(tokenize(readFileSync(join(templates, file), "utf8")), this.defines);
      if (file.endsWith(".yaml")) this.templates.push({ name: file, nodes });
    }
  }

  /** Each template rendered with values.yaml, overridden by `values` (merged at the top level and one below). */
  render(
    values: Record<string, unknown> = {},
    release = { Name: "tidings", Namespace: "default" },
  ): { name: string; text: string }[] {
    const defaults = parse(readFileSync(join(this.dir, "values.yaml"), "utf8")) as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...defaults };
    for (const [key, value] of Object.entries(values)) {
      const base = defaults[key];
      merged[key] =
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        typeof base === "object" &&
        base !== null
          ? { ...base, ...value }
          : value;
    }
    const chart = parse(readFileSync(join(this.dir, "Chart.yaml"), "utf8")) as Record<string, unknown>;
    const root = {
      Values: merged,
      Release: release,
      Chart: Object.fromEntries(Object.entries(chart).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v])),
    };
    return this.templates.map(({ name, nodes }) => ({ name, text: this.run(nodes, root) }));
  }

  private run(nodes: Node[], dot: Value): string {
    return nodes
      .map((node) => {
        if ("text" in node) return node.text;
        if ("if" in node) return this.run(truthy(this.pipeline(node.if, dot)) ? node.yes : node.no, dot);
        const value = this.pipeline(node.pipeline, dot);
        return value === undefined || value === null ? "" : String(value);
      })
      .join("");
  }

  private pipeline(text: string, dot: Value): Value {
    let value: Value;
    split(text, "|").forEach((command, i) => {
      value = this.command(command, dot, i === 0 ? [] : [value]);
    });
    return value;
  }

  private command(text: string, dot: Value, piped: Value[]): Value {
    const [head = "", ...rest] = split(text, " ");
    if (/^[a-zA-Z]\w*$/.test(head)) return this.call(head, [...rest.map((arg) => this.operand(arg, dot)), ...piped]);
    if (rest.length > 0 || piped.length > 0) throw new Error(`cannot apply ${text}`);
    return this.operand(head, dot);
  }

  private operand(text: string, dot: Value): Value {
    if (text.startsWith("(") && text.endsWith(")")) return this.pipeline(text.slice(1, -1), dot);
    if (text.startsWith('"')) return JSON.parse(text);
    if (/^-?\d+$/.test(text)) return Number(text);
    if (text === ".") return dot;
    if (text.startsWith(".")) {
      return text
        .slice(1)
        .split(".")
        .reduce<Value>(
          (v, key) => (v === undefined || v === null ? undefined : (v as Record<string, Value>)[key]),
          dot,
        );
    }
    throw new Error(`unsupported operand ${text}`);
  }

  private call(name: string, args: Value[]): Value {
    const text = (v: Value) => (v === undefined || v === null ? "" : String(v));
    switch (name) {
      case "include": {
        const body = this.defines.get(text(args[0]));
        if (body === undefined) throw new Error(`no template "${text(args[0])}"`);
        return this.run(body, args[1]);
      }
      case "dict": {
        const entries: [string, Value][] = [];
        for (let i = 0; i < args.length; i += 2) entries.push([text(args[i]), args[i + 1]]);
        return Object.fromEntries(entries);
      }
      case "not":
        return !truthy(args[0]);
      case "quote":
        return JSON.stringify(text(args[0]));
      case "default":
        return truthy(args[1]) ? args[1] : args[0];
      case "required":
        if (!truthy(args[1])) throw new Error(`required: ${text(args[0])}`);
        return args[1];
      case "toYaml":
        return stringify(args[0]).trimEnd();
      case "nindent":
        return `\n${indent(Number(args[0]), text(args[1]))}`;
      case "indent":
        return indent(Number(args[0]), text(args[1]));
      case "b64enc":
        return Buffer.from(text(args[0])).toString("base64");
      case "sha256sum":
        return createHash("sha256").update(text(args[0])).digest("hex");
      case "trunc":
        return text(args[1]).slice(0, Number(args[0]));
      case "trimSuffix":
        return text(args[1]).endsWith(text(args[0])) ? text(args[1]).slice(0, -text(args[0]).length) : text(args[1]);
      default:
        throw new Error(`unsupported function ${name}`);
    }
  }
}

function indent(spaces: number, text: string): string {
  return text
    .split("\n")
    .map((line) => " ".repeat(spaces) + line)
    .join("\n");
}
