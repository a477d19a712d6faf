import { InvalidPayloadError } from "../errors.js";
import type { WebhookEvent } from "../events.js";

// fatal: a body that is not valid UTF-8 is not a Tidings event; better to say so than to parse U+FFFD.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses an already authenticated body. Checks only the envelope's shape (`type` string, `data`
 * object with `id`): the sender is trusted at this point, and a stricter per-type schema would turn a
 * harmless server addition into a rejected delivery.
 */
export function parseEvent<C extends string = string>(rawBody: string | Uint8Array): WebhookEvent<C> {
  let text: string;
  try {
    text = typeof rawBody === "string" ? rawBody : utf8Decoder.decode(rawBody);
  } catch (cause) {
    throw new InvalidPayloadError("body is not valid UTF-8", { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidPayloadError("body is not JSON", { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidPayloadError("body is not a JSON object");
  }
  const event = value as { type?: unknown; data?: unknown };
  if (typeof event.type !== "string" || event.type === "") {
    throw new InvalidPayloadError('event has no "type"');
  }
  const data = event.data as { id?: unknown } | null | undefined;
  if (typeof data !== "object" || data === null || Array.isArray(data) || typeof data.id !== "string") {
    throw new InvalidPayloadError('event has no "data.id"');
  }
  return value as WebhookEvent<C>;
}
