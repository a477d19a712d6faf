import type { InteractionGenerationConfig as WireGenerationConfig, InteractionTool } from "@tidings/sdk/contract";
import { invalidArgument } from "../core/errors.js";
import type { FunctionTool, InteractionGenerationConfig, ToolChoiceMode } from "../core/interaction-steps.js";

const TOOL_CHOICE_MODES: readonly ToolChoiceMode[] = ["auto", "any", "none", "validated"];

/** An interaction's `tools`: function tools with unique names; other kinds are refused by name. */
export function parseTools(tools: readonly InteractionTool[]): FunctionTool[] {
  const seen = new Set<string>();
  return tools.map((tool, i) => {
    const field = `tools[${i}]`;
    if (tool.type !== "function") {
      throw invalidArgument(
        `${field}.type`,
        `"${tool.type}" tools are not supported; Tidings runs function tools ({type: "function", name, parameters})`,
      );
    }
    if (tool.name === undefined || !/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(tool.name)) {
      throw invalidArgument(
        `${field}.name`,
        "is required: up to 64 letters, digits, _, . or -, starting with a letter or _",
      );
    }
    if (seen.has(tool.name))
      throw invalidArgument(`${field}.name`, `"${tool.name}" is declared twice; give each function one declaration`);
    seen.add(tool.name);
    return {
      type: "function",
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      ...(tool.parameters !== undefined ? { parameters: tool.parameters } : {}),
    };
  });
}

/** The `generation_config` the providers honour; `tool_choice` is checked here, since its schema is a union. */
export function parseGenerationConfig(config: WireGenerationConfig): InteractionGenerationConfig {
  const { thinking_level: _level, thinking_summaries: _summaries, tool_choice: choice, ...rest } = config;
  return { ...rest, ...(choice !== undefined ? { tool_choice: parseToolChoice(choice) } : {}) };
}

function parseToolChoice(choice: unknown): NonNullable<InteractionGenerationConfig["tool_choice"]> {
  const field = "generation_config.tool_choice";
  const modes = TOOL_CHOICE_MODES.map((m) => `"${m}"`).join(", ");
  if (typeof choice === "string") {
    if ((TOOL_CHOICE_MODES as readonly string[]).includes(choice)) return choice as ToolChoiceMode;
    throw invalidArgument(
      field,
      `must be one of ${modes} or {allowed_tools: {mode?, tools?}}, not ${JSON.stringify(choice)}`,
    );
  }
  const allowed = (choice as { allowed_tools?: unknown } | null)?.allowed_tools;
  if (
    typeof choice !== "object" ||
    choice === null ||
    Object.keys(choice).some((k) => k !== "allowed_tools") ||
    typeof allowed !== "object" ||
    allowed === null
  ) {
    throw invalidArgument(field, `must be one of ${modes} or {allowed_tools: {mode?, tools?}}`);
  }
  const { mode, tools, ...extra } = allowed as { mode?: unknown; tools?: unknown };
  const unknown = Object.keys(extra)[0];
  if (unknown !== undefined)
    throw invalidArgument(
      `${field}.allowed_tools.${unknown}`,
      `Unknown name "${unknown}": Cannot find field (fields here: mode, tools)`,
    );
  if (mode !== undefined && !(TOOL_CHOICE_MODES as readonly unknown[]).includes(mode))
    throw invalidArgument(`${field}.allowed_tools.mode`, `must be one of ${modes}`);
  if (tools !== undefined && !(Array.isArray(tools) && tools.every((t) => typeof t === "string"))) {
    throw invalidArgument(`${field}.allowed_tools.tools`, "must be a list of function names");
  }
  return {
    allowed_tools: {
      ...(mode !== undefined ? { mode: mode as ToolChoiceMode } : {}),
      ...(tools !== undefined ? { tools: tools as string[] } : {}),
    },
  };
}
