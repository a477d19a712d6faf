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
  return destination === undefined ? pino(options) : pino(options, destination);
}
