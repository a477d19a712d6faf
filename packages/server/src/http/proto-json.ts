import { invalidArgument } from "../core/errors.js";
import { lowerCamel, snakeCase } from "../core/field-names.js";

/**
 * Proto3 JSON field names (docs/wire.md: conventions), read off the contract's schemas rather than written per route: a
 * request may spell every field in snake_case or lowerCamelCase (`webhook_config` or `webhookConfig`), at
 * every level. `readMessage` renames the other spelling to the schema's own, in place, before the schema is
 * checked, and refuses a name the message does not have, as Google does (`Unknown name "colour": Cannot
 * find field.`). Free-form maps (`metadata`, `user_metadata`, tool parameter schemas) have no `properties`
 * in the schema, so their keys are left exactly as given.
 */

/** The JSON Schema keywords the shapes are read from. */
export interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema | JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  required?: string[];
  examples?: unknown[];
}

/** A message: its fields under their canonical names, and the other spelling of each. */
interface MessageShape {
  kind: "message";
  fields: Map<string, Shape | undefined>;
  alternates: Map<string, string>;
  /** Unknown names are refused; false for messages that also carry keys of their own choosing. */
  closed: boolean;
}

interface ListShape {
  kind: "list";
  items: Shape;
}

export type Shape = MessageShape | ListShape;

/** What a schema says about field names; undefined for leaves and free-form maps, which are not walked. */
export function shapeOf(schema: JsonSchema | undefined): Shape | undefined {
  if (schema === undefined) return undefined;
  const branches = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (branches !== undefined) return mergeShapes(branches.map(shapeOf));
  if (schema.properties !== undefined) {
    const fields = new Map<string, Shape | undefined>();
    const alternates = new Map<string, string>();
    for (const [name, field] of Object.entries(schema.properties)) {
      fields.set(name, shapeOf(field));
      for (const other of [lowerCamel(name), snakeCase(name)]) if (other !== name) alternates.set(other, name);
    }
    return { kind: "message", fields, alternates, closed: schema.additionalProperties === false };
  }
  if (schema.items !== undefined && !Array.isArray(schema.items)) {
    const items = shapeOf(schema.items);
    return items === undefined ? undefined : { kind: "list", items };
  }
  return undefined;
}

/** The branches of a union that are messages, read as one message with all their fields. */
function mergeShapes(shapes: (Shape | undefined)[]): Shape | undefined {
  const messages = shapes.filter((s): s is MessageShape => s?.kind === "message");
  if (messages.length === 0) return shapes.find((s) => s !== undefined);
  return {
    kind: "message",
    fields: new Map(messages.flatMap((m) => [...m.fields])),
    alternates: new Map(messages.flatMap((m) => [...m.alternates])),
    closed: messages.every((m) => m.closed),
  };
}

/** Field paths as errors name them: `webhook_config.uris[0]`. */
function fieldPath(parent: string, name: string): string {
  return parent === "" ? name : `${parent}.${name}`;
}

/** The description of an unknown field, shared with the schema check's own `additionalProperties` error. */
export function unknownFieldDescription(name: string, known: readonly string[]): string {
  const choices = known.length === 0 ? "this message has no fields" : `fields here: ${known.join(", ")}`;
  return `Unknown name ${JSON.stringify(name)}: Cannot find field (${choices})`;
}

/**
 * Renames alternate spellings to the canonical ones throughout `value`, in place, and throws a 400 naming the
 * field for an unknown name or for one field given in both spellings. Values of the wrong type are left for
 * the schema check to report.
 */
export function readMessage(value: unknown, shape: Shape, path: string): void {
  if (shape.kind === "list") {
    if (Array.isArray(value)) value.forEach((item, i) => readMessage(item, shape.items, `${path}[${i}]`));
    return;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  const message = value as Record<string, unknown>;
  for (const key of Object.keys(message)) {
    let name = key;
    if (!shape.fields.has(key)) {
      const canonical = shape.alternates.get(key);
      if (canonical === undefined) {
        if (shape.closed)
          throw invalidArgument(fieldPath(path, key), unknownFieldDescription(key, [...shape.fields.keys()]));
        continue;
      }
      if (Object.hasOwn(message, canonical)) {
        throw invalidArgument(
          fieldPath(path, canonical),
          `is given twice, as ${JSON.stringify(canonical)} and ${JSON.stringify(key)}; send one of them`,
        );
      }
      message[canonical] = message[key];
      delete message[key];
      name = canonical;
    }
    const field = shape.fields.get(name);
    if (field !== undefined) readMessage(message[name], field, fieldPath(path, name));
  }
}
