import { lowerCamel, snakeCase } from "../../src/core/field-names.js";

/** The parts of a JSON Schema in the OpenAPI document that these tests read. */
export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
}

export interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  /** `POST /v1/webhooks`, as the document names it. */
  id: string;
  method: string;
  path: string;
  body: Schema | undefined;
  query: string[];
  /** Its path, query and header parameters, with their schemas. */
  parameters: Parameter[];
}

interface Document {
  paths: Record<
    string,
    Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> }; parameters?: Parameter[] }>
  >;
}

/** Every operation of the served OpenAPI document. */
export async function operationsOf(serverUrl: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${serverUrl}/openapi.json`)).json()) as Document;
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      id: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      body: op.requestBody?.content?.["application/json"]?.schema,
      query: (op.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
      parameters: op.parameters ?? [],
    })),
  );
}

/** A message: an object schema that lists its fields (free-form maps list none). */
export function isMessage(schema: Schema | undefined): schema is Schema & { properties: Record<string, Schema> } {
  return schema?.properties !== undefined;
}

/** The other proto3 JSON spelling of a field name, or the name itself when it has one spelling only. */
export function otherSpelling(name: string): string {
  const camel = lowerCamel(name);
  return camel !== name ? camel : snakeCase(name);
}

/** `value` with every message field name in its other spelling; free-form maps keep their keys. */
export function respell(value: unknown, schema: Schema | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => respell(item, schema?.items));
  if (!isMessage(schema) || typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, field]) => [otherSpelling(name), respell(field, schema.properties[name])]),
  );
}

/** Paths of the fields whose schema matches, through nested messages and lists of them. */
export function fieldsWhere(
  schema: Schema | undefined,
  test: (field: Schema, name: string) => boolean,
  at: string[] = [],
): string[][] {
  if (schema?.items !== undefined) return fieldsWhere(schema.items, test, at);
  if (!isMessage(schema)) return [];
  return Object.entries(schema.properties).flatMap(([name, field]) => [
    ...(test(field, name) ? [[...at, name]] : []),
    ...fieldsWhere(field, test, [...at, name]),
  ]);
}

/** The smallest body the schema accepts: its required fields, each with a plain valid value. */
export function minimalValue(schema: Schema): unknown {
  if (schema.enum !== undefined) return schema.enum[0];
  if (isMessage(schema))
    return Object.fromEntries((schema.required ?? []).map((name) => [name, minimalValue(schema.properties[name]!)]));
  switch (schema.type) {
    case "string":
      return schema.format === "date-time"
        ? "2030-01-01T00:00:00Z"
        : schema.format === "google-duration"
          ? "60s"
          : schema.pattern !== undefined
            ? "1"
            : "x";
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [];
    default:
      return {};
  }
}

/** Sets `value` at `path` inside `body`, making the messages on the way (a list gets one element). */
export function setAt(body: Record<string, unknown>, path: string[], value: unknown, schema: Schema): void {
  const [head, ...rest] = path as [string, ...string[]];
  const field = schema.properties![head]!;
  if (rest.length === 0) {
    body[head] = value;
    return;
  }
  const messageSchema = field.items ?? field;
  const inner = (minimalValue(messageSchema) ?? {}) as Record<string, unknown>;
  setAt(inner, rest, value, messageSchema);
  body[head] = field.items !== undefined ? [inner] : inner;
}

/** How a field path is named in errors: `webhook_config.uris`, with `[0]` after a list. */
export function fieldName(path: string[], schema: Schema): string {
  let name = "";
  let current: Schema | undefined = schema;
  for (const part of path) {
    const field: Schema | undefined = current?.properties?.[part];
    name += `${name === "" ? "" : "."}${part}`;
    if (field?.items !== undefined && part !== path[path.length - 1]) {
      name += "[0]";
      current = field.items;
    } else {
      current = field;
    }
  }
  return name;
}

/** A concrete URL for a templated path: every `{id}` becomes `id`. */
export function concretePath(path: string, id = "x"): string {
  return path.replace(/\{[^}]+\}/g, id);
}
