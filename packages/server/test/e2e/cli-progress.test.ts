/**
 * `tidings batches create --wait` redraws one progress line in place (issue 12): in a narrow terminal the
 * line must fit, or each redraw wraps onto a new row and the rows pile up. The output goes through a
 * terminal emulator (xterm.js, headless) of a given width, and the test reads the screen it shows.
 */
import { Writable } from "node:stream";
import type { BatchOperation } from "@tidings/sdk/contract";
import xterm from "@xterm/headless";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { progressLine, waitForBatch } from "../../src/cli/batches.js";
import { GeminiSurface } from "../../src/cli/gemini-surface.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";

let server: TestServer;
beforeAll(async () => {
  // Two requests at a time, 100 ms each: a 30-line batch takes about 1.5 s, so the bar redraws several times.
  server = await startTidings({ env: { TIDINGS_LOCAL_DELAY_MS: "100", TIDINGS_PROVIDER_CONCURRENCY: "2" } });
});
afterAll(() => server.close());

/** A terminal `columns` wide: what is written to it lands on an emulated screen, which is read after each write. */
function terminal(columns: number) {
  const screen = new xterm.Terminal({ cols: columns, rows: 12, allowProposedApi: true });
  /** The screen's rows with text on them. */
  const rows = () => {
    const found: string[] = [];
    for (let i = 0; i < screen.rows; i++) {
      const text = screen.buffer.active.getLine(i)?.translateToString(true) ?? "";
      if (text.trim() !== "") found.push(text);
    }
    return found;
  };
  const seen: string[][] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        screen.write(chunk.toString(), () => {
          seen.push(rows());
          done();
        });
      },
    }),
    { isTTY: true, columns },
  );
  return {
    out: stream as unknown as NodeJS.WriteStream,
    /** Every state the screen went through, once everything written has been drawn. */
    screens: async () => {
      await new Promise<void>((resolve) => stream.end(resolve));
      return seen;
    },
  };
}

async function startBatch(gemini: GeminiSurface): Promise<string> {
  const jsonl = Array.from({ length: 30 }, (_, i) =>
    JSON.stringify({ key: `k${i}`, request: { contents: [{ parts: [{ text: `q${i}` }] }] } }),
  ).join("\n");
  const fileName = await gemini.upload(Buffer.from(jsonl), "application/jsonl", "in.jsonl");
  return (
    await gemini.createBatch("gemini-2.5-flash", { batch: { displayName: "progress", inputConfig: { fileName } } })
  ).name;
}

describe("the batch progress bar", () => {
  it("stays on one row of a 24-column terminal while it redraws", async () => {
    const gemini = new GeminiSurface(server.url, server.key);
    const narrow = terminal(24);
    const done = await waitForBatch(gemini, await startBatch(gemini), narrow.out);
    expect(done.metadata.state).toBe("BATCH_STATE_SUCCEEDED");
    const screens = await narrow.screens();
    // It redrew as the batch went on…
    expect(new Set(screens.map((rows) => rows.join("\n"))).size).toBeGreaterThan(2);
    // …and at no moment did the bar take more than one row.
    expect(screens.filter((rows) => rows.length > 1)).toEqual([]);
    expect(screens.at(-1)).toEqual(["30/30 done, 0 failed  S"]);
  });

  it("shows the whole bar where there is room", async () => {
    const gemini = new GeminiSurface(server.url, server.key);
    const wide = terminal(80);
    await waitForBatch(gemini, await startBatch(gemini), wide.out);
    expect((await wide.screens()).at(-1)).toEqual([`[${"#".repeat(30)}] 30/30 done, 0 failed  SUCCEEDED`]);
  });

  it("narrows the bar, then drops it, to fit any width", () => {
    const batch = (done: number, total: number): BatchOperation =>
      ({
        name: "batches/x",
        done: false,
        metadata: {
          state: "BATCH_STATE_RUNNING",
          batchStats: {
            requestCount: String(total),
            successfulRequestCount: String(done),
            failedRequestCount: "0",
            pendingRequestCount: String(total - done),
          },
        },
      }) as unknown as BatchOperation;
    expect(progressLine(batch(5, 10), 40)).toBe("[#####....] 5/10 done, 0 failed  RUNNING");
    expect(progressLine(batch(5, 10), 30)).toBe("5/10 done, 0 failed  RUNNING");
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(100_000), fc.nat(200), (a, b, width) => {
        expect(progressLine(batch(Math.min(a, b), Math.max(a, b)), width).length).toBeLessThanOrEqual(width);
      }),
    );
  });
});
