/** One line of a JSONL stream, numbered from 1; `text` is absent when the line was longer than the cap. */
export type JsonlLine = { number: number; text: string } | { number: number; tooLong: true };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines without ever holding more than `maxLineBytes` of one line: the rest
 * of a longer line is dropped as it streams past, and the line is reported as too long. So memory is
 * bounded by the cap, not by the file or its longest line.
 */
export async function* jsonlLines(
  source: AsyncIterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<JsonlLine> {
  let pieces: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let number = 0;
  const take = (): JsonlLine => {
    number++;
    const line: JsonlLine = tooLong
      ? { number, tooLong }
      : { number, text: Buffer.concat(pieces, size).toString("utf8").replace(/\r$/, "") };
    pieces = [];
    size = 0;
    tooLong = false;
    return line;
  };
  for await (const chunk of source) {
    const bytes =
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline === -1 ? bytes.length : newline;
      if (!tooLong) {
        if (size + (end - start) > maxLineBytes) {
          tooLong = true;
          pieces = [];
          size = 0;
        } else if (end > start) {
          pieces.push(bytes.subarray(start, end));
          size += end - start;
        }
      }
      if (newline === -1) break;
      yield take();
      start = newline + 1;
    }
  }
  if (size > 0 || tooLong) yield take();
}
