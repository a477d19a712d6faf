/**
 * The items of `source` until `signal` aborts; then the wait for the next item ends at once, with `reason()`,
 * even while a read is still in progress (a slow disk, a pipe). Ending the source is left to its owner, who
 * destroys the stream it reads.
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined, reason: () => Error): AsyncGenerator<T> {
  if (signal === undefined) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(reason());
  });
  aborted.catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  let reading = false;
  try {
    if (signal.aborted) throw reason();
    for (;;) {
      const next = iterator.next();
      reading = true;
      // Left behind when the signal wins: how it ends once its source is destroyed concerns no one.
      next.catch(() => {});
      const result = await Promise.race([next, aborted]);
      reading = false;
      if (result.done === true) return;
      yield result.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // A source left between items is ended as a for-await would end it; one still reading ends with its stream.
    if (!reading) await iterator.return?.();
  }
}
