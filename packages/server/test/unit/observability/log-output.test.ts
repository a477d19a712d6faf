import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogOutput } from "../../../src/observability/log-output.js";

/** Lines of one length, so that what fits in the buffer is a count of lines. */
const line = (n: number) => `${JSON.stringify({ n: String(n).padStart(3, "0"), msg: "x".repeat(100) })}\n`;

describe("the log's output", () => {
  it("writes every line, in order, to a file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidings-log-"));
    const fd = openSync(join(dir, "log"), "w");
    try {
      const output = new LogOutput(fd, { maxBufferedBytes: 1 << 20, maxWriteBytes: 1000, retryAfterMs: 10 });
      for (let n = 0; n < 500; n++) output.write(line(n));
      await output.drain(5_000);
      expect(readFileSync(join(dir, "log"), "utf8")).toBe(Array.from({ length: 500 }, (_, n) => line(n)).join(""));
      expect(output.dropped).toBe(0);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on a full disk (/dev/full: every write is ENOSPC) drops and counts lines, never throws nor waits", async () => {
    const fd = openSync("/dev/full", "w");
    try {
      const output = new LogOutput(fd, {
        maxBufferedBytes: 10 * line(0).length,
        maxWriteBytes: 3 * line(0).length,
        retryAfterMs: 10,
      });
      // Past what it may hold (one write in flight, ten lines waiting), lines are dropped at once, in the caller's
      // turn.
      for (let n = 0; n < 100; n++) output.write(line(n));
      expect(output.dropped).toBe(100 - 1 - 10);
      await output.drain(5_000);
      // What it held was tried, failed and dropped too.
      expect(output.dropped).toBe(100);
      output.write(line(100));
      await output.drain(5_000);
      expect(output.dropped).toBe(101);
    } finally {
      closeSync(fd);
    }
  });
});
