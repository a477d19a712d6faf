/** Header access that works for fetch `Headers`, Node's `req.headers` and hand-built records. */

export type HeaderRecord = Record<string, string | string[] | undefined>;

/** Anything with a `get(name)` like the fetch `Headers` class, matched structurally across realms. */
export interface HeadersLike {
  get(name: string): string | null;
}

export type HeadersInput = HeadersLike | HeaderRecord;

function isHeadersLike(headers: HeadersInput): headers is HeadersLike {
  return typeof (headers as HeadersLike).get === "function";
}

/**
 * Case-insensitive lookup. `name` must be lower case. Repeated headers (arrays) are joined with a space,
 * which is what a repeated `webhook-signature` means (more signature entries).
 */
export function getHeader(headers: HeadersInput, name: string): string | undefined {
  let value: string | string[] | null | undefined;
  if (isHeadersLike(headers)) {
    value = headers.get(name);
  } else {
    // Node already lower-cases; the scan only runs for hand-built records such as {"Webhook-Id": …}.
    value = headers[name];
    if (value === undefined) {
      for (const key in headers) {
        if (key.toLowerCase() === name) {
          value = headers[key];
          break;
        }
      }
    }
  }
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) value = value.join(" ");
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}
