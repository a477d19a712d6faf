import type { FastifyBaseLogger } from "fastify";
import { describe, expect, it } from "vitest";
import { lazyRequestLogger } from "../../../src/http/request-logger.js";
import { createLogger } from "../../../src/observability/logging.js";

/** The process's logger (redaction and all), its lines gathered as parsed objects. */
function capturedLogger(): { log: FastifyBaseLogger; lines: Record<string, unknown>[]; children: () => number } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger("info", { write: (line: string) => lines.push(JSON.parse(line)) });
  let children = 0;
  const child = log.child.bind(log);
  log.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof log.child;
  return { log: log as FastifyBaseLogger, lines, children: () => children };
}

describe("a request's logger", () => {
  it("makes no child logger while nothing is logged", () => {
    const { log, children } = capturedLogger();
    lazyRequestLogger(log, { reqId: "req-1" }, {});
    expect(children()).toBe(0);
  });

  it("logs the line a child would, with the request's id and the redaction", () => {
    const { log, lines, children } = capturedLogger();
    const requestLog = lazyRequestLogger(log, { reqId: "req-1" }, {});
    requestLog.warn({ err: "boom", apiKey: "k-secret" }, "could not save the answer");
    requestLog.error("unhandled error");
    expect(children()).toBe(1);
    expect(lines).toMatchObject([
      { level: 40, reqId: "req-1", err: "boom", apiKey: "[redacted]", msg: "could not save the answer" },
      { level: 50, reqId: "req-1", msg: "unhandled error" },
    ]);
  });

  it("follows the level it is given, or its parent's", () => {
    const { log } = capturedLogger();
    expect(lazyRequestLogger(log, { reqId: "a" }, {}).level).toBe("info");
    expect(lazyRequestLogger(log, { reqId: "b" }, { level: "error" }).level).toBe("error");
  });
});
