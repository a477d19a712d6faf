import type { Static, TSchema } from "@sinclair/typebox";
import { Empty } from "@tidings/sdk/contract";
import { Ajv, type ErrorObject, type Options } from "ajv";
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";
import { invalidArgument, type TidingsError } from "../core/errors.js";
import { DURATION_FORM, parseDuration, parseRfc3339, TIMESTAMP_FORM } from "../core/timestamps.js";
import { readMessage, shapeOf, unknownFieldDescription, type JsonSchema } from "./proto-json.js";

/**
 * Requests are checked against the contract's schemas (`@tidings/sdk/contract`) in two steps: proto3 JSON
 * names first (`proto-json.ts`: the other spelling renamed, unknown names refused), then the schema itself
 * with Ajv. Bodies are JSON, so their types are never coerced (`"name": 123` is a 400, not `"123"`); query
 * strings and paths are text, so theirs are.
 */
function newAjv(options: Options): Ajv {
  // verbose: errors carry the failing schema and value, which the messages below quote.
  const ajv = new Ajv({ useDefaults: true, removeAdditional: false, allErrors: false, verbose: true, ...options });
  ajv.addFormat("date-time", { type: "string", validate: (text: string) => parseRfc3339(text) !== undefined });
  ajv.addFormat("google-duration", { type: "string", validate: (text: string) => parseDuration(text) !== undefined });
  return ajv;
}

const bodyAjv = newAjv({ coerceTypes: false });
const textAjv = newAjv({ coerceTypes: "array" });

/** `?key=` authenticates (auth.ts reads it on request); it is no field of any message. */
const SYSTEM_QUERY_PARAMETERS = ["key"];

type HttpPart = "body" | "querystring" | "params" | "headers";

/**
 * Installs the contract on every route declared after it: Ajv as above; a query schema that takes nothing
 * on routes that declare none, so a stray parameter is refused too; and the proto3 JSON step before
 * validation. Routes with `hide: true` (health, the OpenAPI document) are left alone.
 */
export function enforceContract(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === "body" ? bodyAjv : textAjv).compile(schema));
  app.addHook("onRoute", (route: RouteOptions) => {
    const schema = route.schema as (Record<string, unknown> & { hide?: boolean }) | undefined;
    if (schema === undefined || schema.hide === true) return;
    schema.querystring ??= Empty;
    const read = requestReader(schema.body as JsonSchema | undefined, schema.querystring as JsonSchema);
    const existing = route.preValidation === undefined ? [] : [route.preValidation].flat();
    route.preValidation = [async (req: FastifyRequest) => read(req), ...existing];
  });
}

function requestReader(body: JsonSchema | undefined, query: JsonSchema): (req: FastifyRequest) => void {
  const bodyShape = shapeOf(body);
  const queryShape = shapeOf(query);
  const required = body?.required ?? [];
  const example = body?.examples?.[0];
  return (req) => {
    const params = req.query as Record<string, unknown>;
    for (const name of SYSTEM_QUERY_PARAMETERS) delete params[name];
    if (queryShape !== undefined) readMessage(params, queryShape, "");
    if (body === undefined) return;
    if (req.body === undefined) {
      // Custom methods (`:cancel`) are often POSTed with no body: an empty message, unless it needs fields.
      if (required.length === 0) req.body = {};
      else
        throw invalidArgument(
          "body",
          `must be a JSON object such as ${JSON.stringify(example ?? Object.fromEntries(required.map((f) => [f, "…"])))}`,
        );
    }
    if (bodyShape !== undefined) readMessage(req.body, bodyShape, "");
  };
}

/**
 * A checker for a message read outside Fastify's validation (the upload start body, which its route reads
 * from the raw stream; an interaction's input items, whose kind their `type` names): the same two steps,
 * the same errors. `at` is where the message sits in the request, e.g. `input[2]`, for the field names.
 */
export function messageChecker<T extends TSchema>(schema: T): (value: unknown, at?: string) => Static<T> {
  const shape = shapeOf(schema as JsonSchema);
  const validate = bodyAjv.compile(schema);
  return (value, at = "") => {
    if (shape !== undefined) readMessage(value, shape, at);
    if (validate(value)) return value as Static<T>;
    const { field, description } = describeValidationError(validate.errors![0]!, at === "" ? "body" : at);
    throw invalidArgument(
      at === "" || field === at ? field : `${at}${field.startsWith("[") ? "" : "."}${field}`,
      description,
    );
  };
}

/** Field path and description of an Ajv error, as google.rpc.BadRequest's fieldViolations name them. */
export function describeValidationError(
  error: ErrorObject,
  part: HttpPart | string,
): { field: string; description: string } {
  const path = error.instancePath
    .split("/")
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, "/").replace(/~0/g, "~")}`))
    .join("")
    .replace(/^\./, "");
  const at = (name: string) => (path === "" ? name : `${path}.${name}`);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { field: at(String(params.missingProperty)), description: "is required" };
    case "additionalProperties": {
      const name = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as JsonSchema | undefined)?.properties ?? {});
      return { field: at(name), description: unknownFieldDescription(name, known) };
    }
    case "enum":
      return {
        field: path || part,
        description: `must be one of ${(params.allowedValues as unknown[]).join(", ")}, not ${JSON.stringify(error.data)}`,
      };
    case "format":
      return { field: path || part, description: formatDescription(String(params.format), error.data) };
    case "type": {
      // A timestamp sent as a number is better told what a timestamp looks like than that it is no string.
      const schema = error.parentSchema as (JsonSchema & { title?: string; format?: string }) | undefined;
      const description =
        schema?.format !== undefined
          ? formatDescription(schema.format, error.data)
          : typeDescription(String(params.type), schema);
      return { field: path || part, description };
    }
    default:
      return { field: path || part, description: error.message ?? "is invalid" };
  }
}

function formatDescription(format: string, value: unknown): string {
  const given = `not ${JSON.stringify(value)}`;
  if (format === "date-time") return `must be ${TIMESTAMP_FORM}, ${given}`;
  if (format === "google-duration") return `must be ${DURATION_FORM}, ${given}`;
  return `must be a ${format}, ${given}`;
}

function typeDescription(type: string, schema: (JsonSchema & { title?: string }) | undefined): string {
  const items = schema?.items;
  const itemTitle = items !== undefined && !Array.isArray(items) ? (items as { title?: string }).title : undefined;
  switch (type) {
    case "array":
      return itemTitle !== undefined ? `must be an array of ${itemTitle} objects` : "must be an array";
    case "object":
      return schema?.title !== undefined ? `must be a ${schema.title} object` : "must be a JSON object";
    case "integer":
      return "must be an integer";
    case "boolean":
      return "must be true or false";
    default:
      return `must be ${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
  }
}

/**
 * The google.rpc.BadRequest view of a failed Fastify validation (`err.validation`), or undefined for any other error.
 */
export function validationViolation(err: unknown): TidingsError | undefined {
  const { validation, validationContext } = (err ?? {}) as { validation?: ErrorObject[]; validationContext?: string };
  const first = validation?.[0];
  if (first === undefined) return undefined;
  const { field, description } = describeValidationError(first, validationContext ?? "body");
  return invalidArgument(field, description);
}
