import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import type { BatchLine } from "../../src/core/batches.js";
import { jsonlBatchLines } from "../../src/services/batch-input.js";
import { startTidings, waitUntil, type TestServer, uploadJsonl } from "../helpers/tidings.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const request = (text: string) => ({ contents: [{ role: "user", parts: [{ text }] }] });

/** Runs a batch to its end and returns its output lines. */
async function run(s: TestServer, input: object): Promise<any[]> {
  const created = await s.api("POST", "/v1/models/gemini-2.5-flash:batchGenerateContent", {
    batch: { inputConfig: input },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const name = created.body.name as string;
  await waitUntil(async () => (await s.api("GET", `/v1/${name}`)).body.done === true, 20_000, "the batch to end");
  const done = await s.api("GET", `/v1/${name}`);
  expect(done.body.metadata.state).toBe("BATCH_STATE_SUCCEEDED");
  const out = await fetch(`${s.url}/download/v1/${done.body.response.responsesFile}:download?alt=media`, {
    headers: { "x-goog-api-key": s.key },
  });
  return (await out.text())
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("JSONL batch input lines", () => {
  it("turns a line longer than TIDINGS_MAX_BATCH_LINE_BYTES into that line's error, and runs the rest", async () => {
    server = await startTidings({ env: { TIDINGS_MAX_BATCH_LINE_BYTES: "65536" } });
    const text = [
      JSON.stringify({ key: "before", request: request("one") }),
      JSON.stringify({ key: "huge", request: request("x".repeat(1024 * 1024)) }),
      JSON.stringify({ key: "after", request: request("three") }),
    ].join("\r\n");
    const results = await run(server, { fileName: await uploadJsonl(server, text) });
    expect(results.map((r) => r.key)).toEqual(["before", "line-2", "after"]);
    expect(results[0].response.candidates).toBeDefined();
    expect(results[1].error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
    expect(results[1].error.message).toBe(
      "line 2 is longer than 65536 bytes, the limit for one line (TIDINGS_MAX_BATCH_LINE_BYTES)",
    );
    expect(results[2].response.candidates).toBeDefined();
  });

  it("a line without contents is that line's 400 INVALID_ARGUMENT naming the field, from a file and inline", async () => {
    server = await startTidings();
    const text = [
      JSON.stringify({ key: "ok", request: request("hi") }),
      JSON.stringify({ key: "empty", request: {} }),
      JSON.stringify({ key: "bad", request: { contents: "nope" } }),
    ].join("\n");
    const fromFile = await run(server, { fileName: await uploadJsonl(server, text) });
    expect(fromFile[0].response).toBeDefined();
    expect(fromFile[1]).toMatchObject({ key: "empty", error: { code: 400, status: "INVALID_ARGUMENT" } });
    expect(fromFile[1].error.message).toMatch(/^request\.contents: is required/);
    expect(fromFile[2].error.message).toMatch(/^request\.contents: must be an array/);

    const inline = await run(server, {
      requests: {
        requests: [{ request: { systemInstruction: { parts: [{ text: "x" }] } }, metadata: { key: "no-contents" } }],
      },
    });
    expect(inline[0]).toMatchObject({ key: "no-contents", error: { code: 400, status: "INVALID_ARGUMENT" } });
    expect(inline[0].error.message).toMatch(/^request\.contents: is required/);
  });
});

describe("jsonlLines", () => {
  it("never holds more than the cap of one line: a 256 MB line streams through in bounded memory", async () => {
    // A child with --expose-gc, so that what is measured is what is retained, not what awaits collection.
    const module = pathToFileURL(
      join(dirname(fileURLToPath(import.meta.url)), "../../dist/services/jsonl-lines.js"),
    ).href;
    const script = `
      const { jsonlLines } = await import(${JSON.stringify(module)});
      const MB = 1024 * 1024;
      let peak = 0;
      async function* source() {
        yield Buffer.from('{"key":"a"}\\n{"key":"');
        for (let i = 0; i < 256; i++) {
          yield Buffer.alloc(MB, 0x78);
          if (i % 16 === 0) { globalThis.gc(); const m = process.memoryUsage(); peak = Math.max(peak, m.arrayBuffers + m.heapUsed); }
        }
        yield Buffer.from('"}\\n{"key":"b"}\\n');
      }
      const base = process.memoryUsage();
      const lines = [];
      for await (const line of jsonlLines(source(), 4 * MB)) lines.push(line);
      console.log(JSON.stringify({ lines, grewBy: peak - base.arrayBuffers - base.heapUsed }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--expose-gc",
      "--input-type=module",
      "-e",
      script,
    ]);
    const { lines, grewBy } = JSON.parse(stdout) as { lines: unknown[]; grewBy: number };
    expect(lines).toEqual([
      { number: 1, text: '{"key":"a"}' },
      { number: 2, tooLong: true },
      { number: 3, text: '{"key":"b"}' },
    ]);
    // Holding the line would take 256 MB; the cap is 4 MB (and up to 16 dropped 1 MB chunks may await freeing).
    expect(grewBy).toBeLessThan(64 * 1024 * 1024);
  });
});

describe("jsonlBatchLines", () => {
  const collect = async (lines: string[]): Promise<BatchLine[][]> => {
    const chunks: BatchLine[][] = [];
    for await (const chunk of jsonlBatchLines(Readable.from([Buffer.from(lines.join("\n"))]), 4 * 1024 * 1024))
      chunks.push(chunk);
    return chunks;
  };

  it("hands a file on in chunks of at most 200 lines, numbered across chunks, blank lines skipped", async () => {
    const text = Array.from({ length: 1200 }, (_, i) => JSON.stringify({ key: `k${i}`, request: request(`p${i}`) }));
    const chunks = await collect([...text.slice(0, 600), "", "{not json", ...text.slice(600)]);
    expect(chunks.map((c) => c.length)).toEqual([200, 200, 200, 200, 200, 200, 1]);
    const lines = chunks.flat();
    expect(lines.map((l) => l.index)).toEqual(Array.from({ length: 1201 }, (_, i) => i));
    expect(lines[600]).toMatchObject({ key: "line-602", state: "failed" });
    expect(lines[601]).toMatchObject({ key: "k600", state: "pending", request: JSON.stringify(request("p600")) });
  });

  it("ends a chunk once it holds 8 MiB of requests, so large lines are not all in memory at once", async () => {
    const text = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ key: `k${i}`, request: request("x".repeat(1024 * 1024)) }),
    );
    const chunks = await collect(text);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    for (const chunk of chunks)
      expect(chunk.reduce((sum, l) => sum + (l.request?.length ?? 0), 0)).toBeLessThan(9 * 1024 * 1024);
    expect(chunks.flat().map((l) => l.key)).toEqual(text.map((_, i) => `k${i}`));
  });
});
