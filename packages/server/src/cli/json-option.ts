/** A command-line option that holds a JSON object (`--metadata '{"customer": "c1"}'`); a clear error otherwise. */
export function parseJsonOption(flag: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${flag}: not JSON (${(err as Error).message}); give an object, e.g. ${flag} '{"key": "value"}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error(`${flag}: must be a JSON object, e.g. ${flag} '{"key": "value"}'`);
  return value as Record<string, unknown>;
}

/** A whole-number option (`--code 13`). */
export function parseIntegerOption(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`${flag}: "${text}" must be a whole number`);
  return n;
}
