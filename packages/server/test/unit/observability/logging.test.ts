import pino from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, REDACTED_PATHS, skipRedactingScalars } from "../../../src/observability/logging.js";

/** Lines logged by `log`, with their time (which differs from one logger to the next) taken out. */
function lines(make: (destination: { write(line: string): void }) => pino.Logger, write: (log: pino.Logger) => void) {
  const out: string[] = [];
  write(make({ write: (line) => out.push(line.replace(/"time":\d+,/, "")) }));
  return out;
}

/** One error for both loggers: its stack names where it was made. */
const failure = Object.assign(new Error("boom"), { headers: { authorization: "Bearer y" }, code: "E" });

/** A corpus of lines: scalars, credentials at every depth the paths reach and beyond, errors, arrays, a child. */
function logCorpus(log: pino.Logger): void {
  log.info({ resource: "operation", name: "operations/op_1", state: "succeeded", n: 3, ok: true }, "op is succeeded");
  log.info({ secret: "s3cret", apiKey: "k", token: "t", headers: { a: "b" } }, "top level");
  log.info({ detail: { token: "t", keep: "ok", n: 1 } }, "one down");
  log.info({ a: { b: { authorization: "Bearer x", keep: 1 } } }, "two down");
  log.info({ a: { b: { c: { secret: "beyond the paths" } } } }, "three down");
  log.warn({ err: failure }, "error");
  log.info(
    { list: [{ secret: "s" }, "plain", 2], nan: Number.NaN, none: undefined, big: 10n },
    "arrays and odd values",
  );
  log.info({ text: 'quotes " and \\ and \u2028 and \ud800 and 日本' }, "strings");
  log.info("a message alone");
  log.child({ reqId: "req-1", secret: "bound" }).error({ webhook: "wh_1", signature: "v1,abc" }, "from a child");
}

describe("the log's redaction", () => {
  it("writes what pino's own redaction writes, line for line, scalars taking the shortcut", () => {
    const options = { level: "info", redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" } };
    const reference = lines((destination) => pino(options, destination), logCorpus);
    const ours = lines((destination) => createLogger("info", destination), logCorpus);
    expect(ours).toEqual(reference);
    expect(ours.join("")).not.toMatch(/s3cret|Bearer|bound|v1,abc/);
    expect(ours.join("")).toContain("beyond the paths");
  });

  it("takes the shortcut on this pino (else the log is only slower, and this says so)", () => {
    expect(skipRedactingScalars(pino({ redact: { paths: ["*.secret"], censor: "[redacted]" } }))).toBe(true);
  });
});
