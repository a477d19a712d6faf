import { CONTENT_TYPES, InteractionContent as ContentSchema, STEP_SCHEMAS } from "@tidings/sdk/contract";
import { invalidArgument } from "../core/errors.js";
import type { InteractionContent, InteractionStep } from "../core/interaction-steps.js";
import { messageChecker } from "./validation.js";

const checkContent = messageChecker(ContentSchema);
const checkStep = Object.fromEntries(
  Object.entries(STEP_SCHEMAS).map(([type, schema]) => [type, messageChecker(schema)]),
) as Record<keyof typeof STEP_SCHEMAS, (value: unknown, at?: string) => unknown>;
const STEP_TYPES = Object.keys(STEP_SCHEMAS);
const FORMS =
  'a string, a Content ({type: "text", text}), a list of Contents, or a list of Steps ({type: "function_result", call_id, result}, …)';

/**
 * An interaction's `input` (docs/wire/interactions.md) as steps: a string or contents become one
 * `user_input` step; a list of steps is kept as it is. Each item is held to the schema its `type` names, with
 * the same proto3 JSON names and errors as any message, so a mistake is a 400 naming e.g. `input[0].call_id`.
 */
export function readInteractionInput(input: unknown): InteractionStep[] {
  if (typeof input === "string") {
    if (input.trim() === "") throw invalidArgument("input", "is empty; send the text to answer");
    return [{ type: "user_input", content: [{ type: "text", text: input }] }];
  }
  const items = Array.isArray(input) ? input : typeof input === "object" && input !== null ? [input] : undefined;
  if (items === undefined) throw invalidArgument("input", `must be ${FORMS}`);
  const at = (i: number) => (Array.isArray(input) ? `input[${i}]` : "input");
  const kinds = items.map((item, i) => {
    const type = (item as { type?: unknown } | null)?.type;
    if (typeof type === "string" && (CONTENT_TYPES as readonly string[]).includes(type)) return "content";
    if (typeof type === "string" && STEP_TYPES.includes(type)) return "step";
    throw invalidArgument(
      `${at(i)}.type`,
      `must name a content (${CONTENT_TYPES.join(", ")}) or a step (${STEP_TYPES.join(", ")}), not ${JSON.stringify(type)}`,
    );
  });
  const mixed = kinds.findIndex((kind) => kind !== kinds[0]);
  if (mixed >= 0)
    throw invalidArgument(`${at(mixed)}`, "mixes contents and steps; put contents inside a user_input step");
  if (kinds[0] === "content")
    return [{ type: "user_input", content: items.map((item, i) => readContent(item, at(i))) }];
  return items.map((item, i) => readStep(item as { type: keyof typeof STEP_SCHEMAS }, at(i)));
}

function readStep(item: { type: keyof typeof STEP_SCHEMAS }, at: string): InteractionStep {
  checkStep[item.type](item, at);
  const step = item as unknown as InteractionStep;
  if (step.type === "user_input" || step.type === "model_output")
    step.content = step.content.map((content, j) => readContent(content, `${at}.content[${j}]`));
  if (step.type === "thought" && step.summary !== undefined)
    step.summary = step.summary.map((content, j) => readContent(content, `${at}.summary[${j}]`));
  return step;
}

function readContent(item: unknown, at: string): InteractionContent {
  const content = checkContent(item, at);
  if (content.type === "text") {
    if (content.text === undefined) throw invalidArgument(`${at}.text`, "is required for text content");
    return { type: "text", text: content.text };
  }
  if (content.data === undefined && content.uri === undefined)
    throw invalidArgument(at, `${content.type} content needs data (base64) or a uri`);
  return {
    type: content.type,
    ...(content.data !== undefined ? { data: content.data } : {}),
    ...(content.uri !== undefined ? { uri: content.uri } : {}),
    ...(content.mime_type !== undefined ? { mime_type: content.mime_type } : {}),
  };
}
