import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { eventTypeEntry } from "../../src/core/event-catalogue.js";
import { parseRfc3339 } from "../../src/core/timestamps.js";

/**
 * Checks a delivered body against its type's JSON Schema in the event catalogue (`GET /v1/eventTypes`, built
 * from the contract the SDK's event types come from), with Ajv's draft 2020-12 validator. The schemas refuse
 * unknown fields, so a field the server sends but the catalogue does not describe fails here.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addFormat("date-time", { type: "string", validate: (text: string) => parseRfc3339(text) !== undefined });
const validators = new Map<string, ValidateFunction>();

function validatorFor(type: string): ValidateFunction | undefined {
  let validate = validators.get(type);
  if (validate === undefined) {
    const entry = eventTypeEntry(type);
    if (entry === undefined) return undefined;
    // As served: JSON, without TypeBox's symbol-keyed markers.
    validate = ajv.compile(JSON.parse(JSON.stringify(entry.schema)) as object);
    validators.set(type, validate);
  }
  return validate;
}

/** Why `body` is not a valid Tidings event, or undefined when it is one. */
export function eventPayloadProblem(body: string): string | undefined {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return "the body is not JSON";
  }
  const type = (event as { type?: unknown } | null)?.type;
  if (typeof type !== "string") return "the body has no string type";
  const validate = validatorFor(type);
  if (validate === undefined) return `${type} is not in the event catalogue`;
  return validate(event) ? undefined : `${type}: ${ajv.errorsText(validate.errors)}`;
}
