import type { Schema } from "./provider.js";

export type JsonSchema = { [key: string]: unknown };

/** Keywords that mean the same in Gemini's OpenAPI subset and in JSON Schema. */
const SAME = [
  "format",
  "title",
  "description",
  "enum",
  "required",
  "minimum",
  "maximum",
  "pattern",
  "default",
] as const;
const NUMERIC = ["minItems", "maxItems", "minLength", "maxLength"] as const;

/**
 * Gemini's schema (upper-case `type`, `nullable`, int64 counts as strings) to the JSON Schema that OpenAI-style
 * servers expect for tool parameters and structured output. `example` and `propertyOrdering` have no
 * counterpart and are dropped.
 */
export function toJsonSchema(schema: Schema): JsonSchema {
  const out: JsonSchema = {};
  if (schema.type !== undefined && schema.type !== "TYPE_UNSPECIFIED") {
    const type = schema.type.toLowerCase();
    out.type = schema.nullable === true ? [type, "null"] : type;
  }
  for (const key of SAME) if (schema[key] !== undefined) out[key] = schema[key];
  for (const key of NUMERIC) if (schema[key] !== undefined) out[key] = Number(schema[key]);
  if (schema.items !== undefined) out.items = toJsonSchema(schema.items);
  if (schema.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toJsonSchema(v)]));
  }
  if (schema.anyOf !== undefined) out.anyOf = schema.anyOf.map(toJsonSchema);
  return out;
}
