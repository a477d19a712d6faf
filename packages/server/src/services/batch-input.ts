import type { BatchLine } from "../core/batches.js";
import { invalidArgument } from "../core/errors.js";
import { JsonTooDeepError, parseJson } from "../core/json.js";
import { jsonlLines } from "./jsonl-lines.js";

/** An error line for input the model never saw: it still gets exactly one output line. */
function failedLine(index: number, key: string, message: string): BatchLine {
  return { index, key, state: "failed", result: JSON.stringify({ error: { code: 400, message, status: "INVALID_ARGUMENT" } }) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Inline requests: `[{request, metadata: {key}}]`; a key defaults to the request's position. */
export function linesFromInline(requests: unknown, field: string): BatchLine[] {
  if (!Array.isArray(requests) || requests.length === 0) throw invalidArgument(field, "must be a non-empty list of {request, metadata}");
  return requests.map((entry, index): BatchLine => {
    const item = isObject(entry) ? entry : {};
    const metadata = isObject(item.metadata) ? item.metadata : {};
    const key = typeof metadata.key === "string" ? metadata.key : String(index);
    if (!isObject(item.request)) return failedLine(index, key, `${field}[${index}].request: must be a GenerateContentRequest object`);
    return { index, key, request: JSON.stringify(item.request), state: "pending" };
  });
}

/**
 * JSONL input: one `{"key": …, "request": {…}}` per line, read as it streams. A line that is not valid
 * JSON, nests too deep, or is longer than `maxLineBytes` becomes an error line (the batch still runs, and
 * every input line still gets exactly one output line); a file with no valid line at all is not JSONL,
 * which is the caller's 400.
 */
export async function linesFromJsonl(bytes: AsyncIterable<Uint8Array | string>, maxLineBytes: number): Promise<{ lines: BatchLine[]; validLines: number }> {
  const lines: BatchLine[] = [];
  let validLines = 0;
  for await (const line of jsonlLines(bytes, maxLineBytes)) {
    const lineNumber = line.number;
    const index = lines.length;
    if ("tooLong" in line) {
      lines.push(
        failedLine(
          index,
          `line-${lineNumber}`,
          `line ${lineNumber} is longer than ${maxLineBytes} bytes, the limit for one line (TIDINGS_MAX_BATCH_LINE_BYTES)`,
        ),
      );
      continue;
    }
    if (line.text.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = parseJson(line.text);
    } catch (err) {
      const problem = err instanceof JsonTooDeepError ? err.message : "is not valid JSON";
      lines.push(failedLine(index, `line-${lineNumber}`, `line ${lineNumber} ${problem}`));
      continue;
    }
    const key = isObject(parsed) && (typeof parsed.key === "string" || typeof parsed.key === "number") ? String(parsed.key) : `line-${lineNumber}`;
    if (!isObject(parsed) || !isObject(parsed.request)) {
      lines.push(failedLine(index, key, `line ${lineNumber} must be {"key": …, "request": {…}}`));
      continue;
    }
    validLines++;
    lines.push({ index, key, request: JSON.stringify(parsed.request), state: "pending" });
  }
  return { lines, validLines };
}

/** Lines of the output read per page while it is written. */
const OUTPUT_PAGE = 1000;

/**
 * The output file, `{key, response}` or `{key, error}` per input line in input order, as a stream: read a
 * page at a time, with a turn of the event loop between pages, so a large batch neither fills memory nor
 * blocks the server while it is written.
 */
export async function* outputJsonl(page: (fromIndex: number, limit: number) => Promise<BatchLine[]>): AsyncIterable<Buffer> {
  for (let from = 0; ; ) {
    const lines = await page(from, OUTPUT_PAGE);
    if (lines.length === 0) return;
    yield Buffer.from(lines.map((line) => `${JSON.stringify({ key: line.key, ...(JSON.parse(line.result ?? "{}") as object) })}\n`).join(""), "utf8");
    from = (lines.at(-1) as BatchLine).index + 1;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
