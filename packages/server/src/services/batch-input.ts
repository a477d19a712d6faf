import type { BatchLine } from "../core/batches.js";
import { invalidArgument } from "../core/errors.js";
import { JsonTooDeepError, parseJson } from "../core/json.js";
import { type JsonlLine, jsonlLines } from "./jsonl-lines.js";

/** An error line for input the model never saw: it still gets exactly one output line. */
function failedLine(index: number, key: string, message: string): BatchLine {
  return {
    index,
    key,
    state: "failed",
    result: JSON.stringify({ error: { code: 400, message, status: "INVALID_ARGUMENT" } }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Inline requests: `[{request, metadata: {key}}]`; a key defaults to the request's position. */
export function linesFromInline(requests: unknown, field: string): BatchLine[] {
  if (!Array.isArray(requests) || requests.length === 0)
    throw invalidArgument(field, "must be a non-empty list of {request, metadata}");
  return requests.map((entry, index): BatchLine => {
    const item = isObject(entry) ? entry : {};
    const metadata = isObject(item.metadata) ? item.metadata : {};
    const key = typeof metadata.key === "string" ? metadata.key : String(index);
    if (!isObject(item.request))
      return failedLine(index, key, `${field}[${index}].request: must be a GenerateContentRequest object`);
    return { index, key, request: JSON.stringify(item.request), state: "pending" };
  });
}

/**
 * Input lines handed to the store at a time, and the most request text one chunk holds (lines may be MiBs). A
 * chunk is parsed and inserted without a turn of the event loop: 500 lines held it for about 20 ms here.
 */
const CHUNK_LINES = 200;
const CHUNK_CHARS = 8 * 1024 * 1024;

/**
 * JSONL input: one `{"key": …, "request": {…}}` per line, read as it streams and handed on in chunks, so
 * memory holds a chunk, never the file. A line that is not valid JSON, nests too deep, or is longer than
 * `maxLineBytes` becomes an error line (the batch still runs, and every input line still gets exactly one
 * output line); blank lines are skipped. A valid line is `pending`, an error line `failed`.
 */
export async function* jsonlBatchLines(
  bytes: AsyncIterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<BatchLine[]> {
  let chunk: BatchLine[] = [];
  let chunkChars = 0;
  let index = 0;
  for await (const line of jsonlLines(bytes, maxLineBytes)) {
    const batchLine = toBatchLine(line, index, maxLineBytes);
    if (batchLine === undefined) continue;
    index++;
    chunk.push(batchLine);
    chunkChars += batchLine.request?.length ?? 0;
    if (chunk.length >= CHUNK_LINES || chunkChars >= CHUNK_CHARS) {
      yield chunk;
      chunk = [];
      chunkChars = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** One input line as the batch line at `index`; undefined for a blank line. */
function toBatchLine(line: JsonlLine, index: number, maxLineBytes: number): BatchLine | undefined {
  const lineNumber = line.number;
  if ("tooLong" in line) {
    return failedLine(
      index,
      `line-${lineNumber}`,
      `line ${lineNumber} is longer than ${maxLineBytes} bytes, the limit for one line (TIDINGS_MAX_BATCH_LINE_BYTES)`,
    );
  }
  if (line.text.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = parseJson(line.text);
  } catch (err) {
    const problem = err instanceof JsonTooDeepError ? err.message : "is not valid JSON";
    return failedLine(index, `line-${lineNumber}`, `line ${lineNumber} ${problem}`);
  }
  const key =
    isObject(parsed) && (typeof parsed.key === "string" || typeof parsed.key === "number")
      ? String(parsed.key)
      : `line-${lineNumber}`;
  if (!isObject(parsed) || !isObject(parsed.request))
    return failedLine(index, key, `line ${lineNumber} must be {"key": …, "request": {…}}`);
  return { index, key, request: JSON.stringify(parsed.request), state: "pending" };
}

/** Lines of the output read per page while it is written. */
const OUTPUT_PAGE = 1000;

/**
 * The output file, `{key, response}` or `{key, error}` per input line in input order, as a stream: read a
 * page at a time, with a turn of the event loop between pages, so a large batch neither fills memory nor
 * blocks the server while it is written.
 */
export async function* outputJsonl(
  page: (fromIndex: number, limit: number) => Promise<BatchLine[]>,
): AsyncIterable<Buffer> {
  for (let from = 0; ; ) {
    const lines = await page(from, OUTPUT_PAGE);
    if (lines.length === 0) return;
    yield Buffer.from(
      lines
        .map((line) => `${JSON.stringify({ key: line.key, ...(JSON.parse(line.result ?? "{}") as object) })}\n`)
        .join(""),
      "utf8",
    );
    from = (lines.at(-1) as BatchLine).index + 1;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
