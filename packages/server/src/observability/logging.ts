import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Fields that may hold a credential, wherever they sit in a log object (two levels deep): API keys, signing
 * secrets, JWTs and signatures, request headers and cookies. The code logs none of them on purpose; this is
 * the net under that care.
 */
export const REDACTED_PATHS: readonly string[] = [
  "secret",
  "secrets",
  "new_signing_secret",
  "apiKey",
  "api_key",
  "key",
  "token",
  "jwt",
  "signature",
  "authorization",
  "cookie",
  "headers",
  "requestHeaders",
  "request_headers",
].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/** The process's structured JSON log (pino), with credentials redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" } };
  const logger = destination === undefined ? pino(options) : pino(options, destination);
  skipRedactingScalars(logger);
  return logger;
}

type Stringifier = (value: unknown, stringifySafe?: unknown) => string | undefined;

/**
 * pino passes every field of a line (and every binding of a child) that no path names exactly through the
 * wildcard paths' redactor, which parses its 28 paths again on each call, whatever the value: ~20 µs for a state
 * change's line and ~33 µs for an attempt's, ~1 µs each without (bench/README.md: where the CPU goes). A string,
 * number or boolean holds no field to redact, and for one the redactor returns JSON.stringify(value) (pino's own
 * stringify, which cannot throw on them): that is what is returned here, without the walk. Objects, arrays,
 * errors and the fields named exactly (`secret`, `headers`, …) still take pino's redaction. Returns whether the
 * shortcut is in place (pino's internals as of pino 10; if they move, the log stays redacted, only slower).
 */
export function skipRedactingScalars(logger: Logger): boolean {
  const { stringifiersSym, wildcardFirstSym } = pino.symbols as unknown as Record<string, symbol | undefined>;
  if (stringifiersSym === undefined || wildcardFirstSym === undefined) return false;
  const stringifiers = (logger as unknown as Record<symbol, Record<symbol, Stringifier> | undefined>)[stringifiersSym];
  const redactWildcards = stringifiers?.[wildcardFirstSym];
  if (stringifiers === undefined || typeof redactWildcards !== "function") return false;
  stringifiers[wildcardFirstSym] = (value, stringifySafe) =>
    typeof value === "string" || typeof value === "number" || typeof value === "boolean"
      ? JSON.stringify(value)
      : redactWildcards(value, stringifySafe);
  return true;
}
