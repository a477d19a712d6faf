/**
 * Untrusted JSON. JSON.parse itself copes with any nesting, but what it builds overflows the stack
 * later when serialized again (JSON.stringify recurses; from about 6,000 levels), so depth is refused at
 * parse time, before anything is built.
 */

/** The deepest nesting of objects and arrays accepted in a request body, a batch line or an upload start. */
export const MAX_JSON_DEPTH = 64;

export class JsonTooDeepError extends Error {
  constructor(readonly limit: number) {
    super(`is nested more than ${limit} levels deep (objects and arrays); ${limit} is the limit`);
    this.name = "JsonTooDeepError";
  }
}

/** JSON.parse with a nesting limit: throws JsonTooDeepError past it, SyntaxError for text that is not JSON. */
export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (nestsDeeperThan(text, maxDepth)) throw new JsonTooDeepError(maxDepth);
  return JSON.parse(text) as unknown;
}

/** One pass over the text, skipping strings: no recursion, so no input can overflow it. */
function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** JSON with every object's keys in order, so that equal values give equal text (for comparing and hashing). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as Record<string, unknown>)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}
