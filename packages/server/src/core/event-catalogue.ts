import { EVENT_TYPE_CATALOGUE, type EventTypeEntry } from "@tidings/sdk/contract";
import { customEventType } from "./event-types.js";

export { EVENT_TYPE_CATALOGUE, type EventTypeEntry };

/**
 * The catalogue's entry for `name`: a built-in type, a custom family by its own name (`{type}.succeeded`), or
 * one custom operation's event (`export.succeeded`), which is its family's entry with the type filled in.
 */
export function eventTypeEntry(name: string): EventTypeEntry | undefined {
  const listed = EVENT_TYPE_CATALOGUE.find((entry) => entry.name === name);
  if (listed !== undefined) return listed;
  const custom = customEventType(name);
  if (custom === undefined) return undefined;
  const family = EVENT_TYPE_CATALOGUE.find((entry) => entry.name === `{type}.${custom.outcome}`);
  if (family === undefined) return undefined;
  const properties = family.schema.properties as Record<string, unknown>;
  return {
    name,
    description: family.description.replaceAll("{type}", custom.operationType),
    schema: { ...family.schema, title: name, properties: { ...properties, type: { type: "string", const: name } } },
  };
}
