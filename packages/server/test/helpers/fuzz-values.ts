/**
 * JSON values for the fuzz test, read off the JSON Schemas of the served OpenAPI document: values a schema
 * accepts (`validValue`), and the ways to break one in exactly one place (`breakBody`), each with the field
 * that the server's 400 must name for it.
 */
import fc from "fast-check";
import { MAX_JSON_DEPTH } from "../../src/core/json.js";
import { isMessage, otherSpelling, type Schema } from "./openapi.js";

/**
 * Plausible values for fields whose schema alone says little (a webhook's `uri`, an event type, a file
 * name), keyed by the field's path as errors name it with `[]` for list items (`webhook_config.uris[]`), or
 * `?name` for a query parameter. They must satisfy the schema: they let valid requests reach the handlers.
 */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

/** A field's path as the server's errors name it: `webhook_config.uris`, `contents[0].parts`. */
export function fieldPath(parent: string, name: string): string {
  return parent === "" ? name : `${parent}.${name}`;
}

/** Strings that have broken servers: NUL, a lone surrogate, right-to-left, SQL, paths, templates. */
export const ODD_STRINGS = [
  "\u0000",
  "\ud800",
  "\u202eevil",
  "🙂",
  "a\r\nb",
  "' OR 1=1 --",
  "../../../etc/passwd",
  "%00",
  "<script>alert(1)</script>",
  "${process.exit()}",
  "__proto__",
  " ",
];

const codePoints = (text: string) => [...text].length;

/** RFC 3339 at its edges: year 0 and 9999, nanoseconds, the largest offset, lower case. */
const EDGE_TIMESTAMPS = [
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999999999Z",
  "2026-05-04T12:00:00-23:59",
  "2030-05-04t12:00:00z",
];
/** Durations at their edges: nothing, a nanosecond, protobuf's 10,000 years and a second past them. */
const EDGE_DURATIONS = ["0s", "0.000000001s", "315576000000s", "315576000001s"];

function stringValue(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === "date-time") {
    const dates = fc
      .tuple(
        fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2199-12-31T00:00:00Z"), noInvalidDate: true }),
        fc.boolean(),
      )
      .map(([date, offset]) => (offset ? date.toISOString().replace(/\.\d+Z$/, "+02:00") : date.toISOString()));
    return fc.oneof({ weight: 4, arbitrary: dates }, { weight: 1, arbitrary: fc.constantFrom(...EDGE_TIMESTAMPS) });
  }
  if (schema.format === "google-duration") {
    return fc.oneof(
      { weight: 4, arbitrary: fc.nat({ max: 10_000_000 }).map((n) => `${n}s`) },
      { weight: 1, arbitrary: fc.constantFrom(...EDGE_DURATIONS) },
    );
  }
  if (schema.pattern !== undefined) return fc.stringMatching(new RegExp(schema.pattern), { maxLength: 20 });
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 24, 24));
  const odd = ODD_STRINGS.filter((s) => codePoints(s) >= minLength && codePoints(s) <= (schema.maxLength ?? Infinity));
  return fc.oneof(
    { weight: 8, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 4, arbitrary: fc.string({ unit: "binary", minLength, maxLength }) },
    ...(odd.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...odd) }] : []),
    // Long, where the schema sets no limit: what the handlers and the store make of 50,000 characters.
    ...(schema.maxLength === undefined
      ? [{ weight: 1, arbitrary: fc.integer({ min: 1000, max: 50_000 }).map((n) => "l".repeat(n)) }]
      : []),
  );
}

/** Numbers at their edges: past 2^53, written in exponent form, the largest double, the smallest. */
const EDGE_NUMBERS = [
  0,
  -1,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  1e21,
  1e308,
  -1e308,
  5e-324,
  0.1,
];

function numberValue(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const inRange = (n: number) =>
    n >= (schema.minimum ?? -Infinity) &&
    n <= (schema.maximum ?? Infinity) &&
    n > (schema.exclusiveMinimum ?? -Infinity) &&
    n < (schema.exclusiveMaximum ?? Infinity);
  const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -(2 ** 31));
  const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 2 ** 31);
  const plain = integer
    ? fc.integer({ min, max })
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter(inRange);
  // The range's own ends are edges too (a range such as 1 … 10,000 may hold none of the usual ones).
  const edges = [...new Set([...EDGE_NUMBERS, min, max])].filter(
    (n) => (!integer || Number.isInteger(n)) && inRange(n),
  );
  return fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
}

/** Nested arrays `depth` levels deep around a string. */
export function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** A free-form map (google.protobuf.Struct) whose own nesting starts `depth` containers deep. */
function freeForm(depth: number): fc.Arbitrary<Record<string, unknown>> {
  const room = MAX_JSON_DEPTH - depth - 1;
  const values = fc.oneof(
    { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    // As deep as the limit allows, and no deeper: a valid request.
    { weight: 1, arbitrary: room > 0 ? fc.integer({ min: 1, max: room }).map(nested) : fc.constant(null) },
  );
  return fc.dictionary(
    fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "toString")),
    values,
    { maxKeys: 4 },
  );
}

/**
 * A value the schema accepts. Message fields are present when required and at random otherwise, each
 * spelled at random in snake_case or lowerCamelCase. `depth` counts the containers around the value.
 */
export function validValue(schema: Schema, hints: Hints, path = "", depth = 0): fc.Arbitrary<unknown> {
  const base = schemaValue(schema, hints, path, depth);
  const hint = hints[path];
  return hint === undefined ? base : fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: base });
}

function schemaValue(schema: Schema, hints: Hints, path: string, depth: number): fc.Arbitrary<unknown> {
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches !== undefined) return fc.oneof(...branches.map((b) => schemaValue(b, hints, path, depth)));
  if (isMessage(schema)) return messageValue(schema, hints, path, depth);
  switch (schema.type) {
    case "object":
      return freeForm(depth);
    case "array":
      return fc.array(validValue(schema.items ?? {}, hints, `${path}[]`, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case "string":
      return stringValue(schema);
    case "integer":
      return numberValue(schema, true);
    case "number":
      return numberValue(schema, false);
    case "boolean":
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function messageValue(
  schema: Schema & { properties: Record<string, Schema> },
  hints: Hints,
  path: string,
  depth: number,
): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.entries(schema.properties).map(([name, field]) => {
    const present = fc
      .tuple(fc.boolean(), validValue(field, hints, fieldPath(path, name), depth + 1))
      .map(([respell, value]) => ({ key: respell ? otherSpelling(name) : name, value }));
    // Optional fields one time in three: a message with many (a GenerateContentRequest has 14) stays small.
    return (schema.required ?? []).includes(name)
      ? present
      : fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: present });
  });
  return fc
    .tuple(...fields)
    .map((present) => Object.fromEntries(present.flatMap((f) => (f === undefined ? [] : [[f.key, f.value]]))));
}

// ---------------------------------------------------------------------------------------------------------
// Breaking a valid value in exactly one place.

/** What a broken value should earn: the status and the field its google.rpc.BadRequest names. */
export interface Fault {
  what: string;
  status: number[];
  /** The field a 400 names; undefined where any field will do. */
  field?: string;
  /** Text the error message must carry (an enum's allowed values). */
  mentions?: string[];
}

/** A JSON type as JSON Schema names it. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeAccepts(type: string, value: unknown): boolean {
  const actual = jsonType(value);
  return actual === type || (type === "number" && actual === "integer");
}

const WRONG_TYPES: unknown[] = [42, 1.5, "text", true, null, [], {}, 1e308];

/**
 * Values that break `schema` by its own keywords (type, enum, format, length, range, items), so that the
 * error lands on this field and no deeper. For a union, only values every branch refuses.
 */
export function violations(schema: Schema, sample: unknown): unknown[] {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches !== undefined) {
    return WRONG_TYPES.filter((value) => branches.every((b) => b.type !== undefined && !typeAccepts(b.type, value)));
  }
  const found: unknown[] = [];
  if (schema.type !== undefined) found.push(...WRONG_TYPES.filter((value) => !typeAccepts(schema.type!, value)));
  if (schema.enum !== undefined) found.push("not_one_of_them");
  if (schema.format === "date-time") found.push("tomorrow", "2026-05-04", "2026-02-30T10:00:00Z");
  if (schema.format === "google-duration") found.push("1h", "-5s");
  if (schema.pattern !== undefined) found.push("12a");
  if (schema.maxLength !== undefined)
    found.push("x".repeat(schema.maxLength + 1), "y".repeat(Math.max(schema.maxLength + 1, 300_000)));
  if ((schema.minLength ?? 0) > 0) found.push("");
  if (schema.minimum !== undefined) found.push(schema.minimum - 1);
  if (schema.maximum !== undefined) found.push(schema.maximum + 1);
  if (schema.exclusiveMinimum !== undefined) found.push(schema.exclusiveMinimum);
  if (schema.exclusiveMaximum !== undefined) found.push(schema.exclusiveMaximum);
  if (schema.maxItems !== undefined && Array.isArray(sample) && sample.length > 0) {
    found.push(Array.from({ length: schema.maxItems + 1 }, () => sample[0]));
  }
  return found;
}

/** A place in a body: a message (where a name can be added) or a field or list item (whose value can go wrong). */
type Site =
  | {
      kind: "message";
      object: Record<string, unknown>;
      schema: Schema & { properties: Record<string, Schema> };
      path: string;
    }
  | {
      kind: "field";
      object: Record<string, unknown>;
      key: string;
      name: string;
      required: boolean;
      schema: Schema;
      path: string;
    }
  | { kind: "item"; list: unknown[]; index: number; schema: Schema; path: string };

function canonicalName(schema: Schema & { properties: Record<string, Schema> }, key: string): string | undefined {
  if (Object.hasOwn(schema.properties, key)) return key;
  const other = otherSpelling(key);
  return Object.hasOwn(schema.properties, other) ? other : undefined;
}

function sitesOf(value: unknown, schema: Schema, path: string, found: Site[] = []): Site[] {
  if (isMessage(schema) && typeof value === "object" && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    found.push({ kind: "message", object, schema, path });
    for (const key of Object.keys(object)) {
      const name = canonicalName(schema, key);
      if (name === undefined) continue;
      const field = schema.properties[name]!;
      const at = fieldPath(path, name);
      found.push({
        kind: "field",
        object,
        key,
        name,
        required: (schema.required ?? []).includes(name),
        schema: field,
        path: at,
      });
      sitesOf(object[key], field, at, found);
    }
  } else if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) => {
      found.push({ kind: "item", list: value, index, schema: schema.items!, path: `${path}[${index}]` });
      sitesOf(item, schema.items!, `${path}[${index}]`, found);
    });
  }
  return found;
}

/** Names no message has: unknown fields. */
export const UNKNOWN_NAMES = [
  "colour",
  "extra_field",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "",
  "a.b",
  "x[0]",
  "ünïcødé",
  "SHOUTING_NAME",
];

export type BodyBreak = "unknown-field" | "missing-required" | "both-spellings" | "violation";
export const BODY_BREAKS: readonly BodyBreak[] = ["unknown-field", "missing-required", "both-spellings", "violation"];

function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Breaks a copy of the valid `body` in one place chosen by `pick`, by the means `how`; undefined when the
 * body has no place to break that way. The fault names the field the 400 must name.
 */
export function breakBody(
  body: unknown,
  schema: Schema,
  how: BodyBreak,
  pick: number,
  choice: number,
): { body: unknown; fault: Fault } | undefined {
  const copy = JSON.parse(JSON.stringify(body)) as unknown;
  const sites = sitesOf(copy, schema, "");
  const at = <T extends Site>(candidates: T[]): T | undefined => candidates[pick % Math.max(candidates.length, 1)];
  switch (how) {
    case "unknown-field": {
      const site = at(
        sites.filter(
          (s): s is Extract<Site, { kind: "message" }> =>
            s.kind === "message" && s.schema.additionalProperties === false,
        ),
      );
      if (site === undefined) return undefined;
      const names = UNKNOWN_NAMES.filter(
        (n) => canonicalName(site.schema, n) === undefined && !Object.hasOwn(site.object, n),
      );
      const name = names[choice % names.length]!;
      setOwn(site.object, name, "surprise");
      return {
        body: copy,
        fault: { what: `unknown field ${JSON.stringify(name)}`, status: [400], field: fieldPath(site.path, name) },
      };
    }
    case "missing-required": {
      const site = at(sites.filter((s): s is Extract<Site, { kind: "field" }> => s.kind === "field" && s.required));
      if (site === undefined) return undefined;
      delete site.object[site.key];
      return { body: copy, fault: { what: `required ${site.path} left out`, status: [400], field: site.path } };
    }
    case "both-spellings": {
      const site = at(
        sites.filter(
          (s): s is Extract<Site, { kind: "field" }> =>
            s.kind === "field" && otherSpelling(s.key) !== s.key && !Object.hasOwn(s.object, otherSpelling(s.key)),
        ),
      );
      if (site === undefined) return undefined;
      site.object[otherSpelling(site.key)] = site.object[site.key];
      return { body: copy, fault: { what: `${site.path} spelled both ways`, status: [400], field: site.path } };
    }
    case "violation": {
      const site = at(
        sites.filter(
          (s): s is Exclude<Site, { kind: "message" }> =>
            s.kind !== "message" && violations(s.schema, valueAt(s)).length > 0,
        ),
      );
      if (site === undefined) return undefined;
      const options = violations(site.schema, valueAt(site));
      const bad = options[choice % options.length];
      if (site.kind === "field") site.object[site.key] = bad;
      else site.list[site.index] = bad;
      const mentions =
        site.schema.enum !== undefined && bad === "not_one_of_them" ? site.schema.enum.map(String) : undefined;
      return {
        body: copy,
        fault: {
          what: `${site.path} = ${preview(bad)}`,
          status: [400],
          field: site.path,
          ...(mentions ? { mentions } : {}),
        },
      };
    }
  }
}

function valueAt(site: Exclude<Site, { kind: "message" }>): unknown {
  return site.kind === "field" ? site.object[site.key] : site.list[site.index];
}

export function preview(value: unknown, limit = 80): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} chars)` : text;
}
