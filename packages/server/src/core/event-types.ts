import { BUILT_IN_EVENT_TYPES, CUSTOM_EVENT_OUTCOMES } from "@tidings/sdk";
import { invalidArgument } from "./errors.js";

export type { BuiltInEventType } from "@tidings/sdk";

const RESERVED_OPERATION_TYPES = new Set(["batch", "interaction", "video", "webhook"]);
const CUSTOM_TYPE = /^[a-z][a-z0-9_]*$/;
/** Longest custom operation type: it is repeated in every event type, subscription and payload. */
export const MAX_CUSTOM_TYPE_LENGTH = 64;

/** Returns why `type` cannot name a custom operation, or undefined when it can. */
export function customTypeProblem(type: string): string | undefined {
  if (type.length > MAX_CUSTOM_TYPE_LENGTH)
    return `is ${type.length} characters long; at most ${MAX_CUSTOM_TYPE_LENGTH}`;
  if (!CUSTOM_TYPE.test(type)) return `"${type}" must match [a-z][a-z0-9_]*`;
  if (RESERVED_OPERATION_TYPES.has(type)) return `"${type}" is reserved for built-in operations; choose another name`;
  return undefined;
}

/**
 * A custom operation's event type (`export.succeeded`) split into the operation type and its outcome; undefined for any
 * other.
 */
export function customEventType(type: string): { operationType: string; outcome: string } | undefined {
  const dot = type.lastIndexOf(".");
  if (dot < 0) return undefined;
  const operationType = type.slice(0, dot);
  const outcome = type.slice(dot + 1);
  return customTypeProblem(operationType) === undefined &&
    (CUSTOM_EVENT_OUTCOMES as readonly string[]).includes(outcome)
    ? { operationType, outcome }
    : undefined;
}

function isKnownEventType(type: string): boolean {
  return (BUILT_IN_EVENT_TYPES as readonly string[]).includes(type) || customEventType(type) !== undefined;
}

/** Validates one `subscribed_events` entry: an event type, `prefix.*`, or `*`. */
export function validateSubscription(entry: string, field: string): void {
  if (entry === "*") return;
  if (entry.endsWith(".*")) {
    const prefix = entry.slice(0, -2);
    if (/^[a-z][a-z0-9_]*$/.test(prefix)) return;
  } else if (isKnownEventType(entry)) {
    return;
  }
  throw invalidArgument(
    field,
    `unknown event type "${entry}"; expected one of ${BUILT_IN_EVENT_TYPES.join(", ")}, ` +
      `a custom "{type}.succeeded|failed|cancelled|expired", a pattern "prefix.*", or "*"`,
  );
}

export function subscriptionMatches(subscribed: readonly string[], eventType: string): boolean {
  return subscribed.some(
    (entry) =>
      entry === "*" || entry === eventType || (entry.endsWith(".*") && eventType.startsWith(entry.slice(0, -1))),
  );
}
