import { invalidArgument } from "./errors.js";

/**
 * Proto3 JSON times (docs/wire.md: conventions): a Timestamp is an RFC 3339 string, a Duration a number of seconds with
 * an
 * `s`. Strict on purpose: `12345`, `"tomorrow"` or a time without a zone are refused, never guessed at.
 */

/** How errors describe each form: the fix, with an example. */
export const TIMESTAMP_FORM = 'an RFC 3339 timestamp such as "2026-05-04T12:00:00Z"';
export const DURATION_FORM = 'a duration in seconds such as "3600s"';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch, or undefined when `text` is not an RFC 3339 date-time that exists. */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [offsetHour, offsetMinute] = [Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return undefined;
  // 30 February rolls over into March: a date that exists comes back unchanged.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return Date.parse(text.toUpperCase());
}

const DURATION = /^(\d{1,12})(\.\d{1,9})?s$/;

/** Milliseconds in a google.protobuf.Duration such as `"3600s"` or `"1.5s"`, or undefined. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  return Math.round(Number(`${match[1]}${match[2] ?? ""}`) * 1000);
}

/** An RFC 3339 field's time, or a 400 naming the field. */
export function parseTimestamp(text: string, field: string): number {
  const at = parseRfc3339(text);
  if (at === undefined) throw invalidArgument(field, `must be ${TIMESTAMP_FORM}, not ${JSON.stringify(text)}`);
  return at;
}
