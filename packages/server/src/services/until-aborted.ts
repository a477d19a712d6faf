/**
 * The items of `source` until `signal` aborts; then the wait for the next item ends at once, with `reason()`,
 * even while a read is still in progress (a slow disk, a pipe). Ending the source is left to its owner, who
 * destroys the stream it reads.
 */
export async function* untilAborted<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal | undefined,
  reason: () => Error,
): AsyncGenerator<T> {
  if (signal === undefined) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  let reading = false;
  try {
    for (;;) {
      if (signal.aborted) throw reason();
      const next = iterator.next();
      reading = true;
      // Left behind when the signal wins: how it ends once its source is destroyed concerns no one.
      next.catch(() => {});
      const result = await raceAbort(next, signal, reason);
      reading = false;
      if (result.done === true) return;
      yield result.value;
    }
  } finally {
    // A source left between items is ended as a for-await would end it; one still reading ends with its stream.
    if (!reading) await iterator.return?.();
  }
}

/**
 * `work`, or `reason()` if `signal` aborts first. The abort's promise is made for this one wait and let go after
 * it: a promise that stays pending while it is raced over and over keeps every race's outcome reachable (here,
 * every chunk of a 2 GiB file, up to 8 MiB each) until it settles.
 */
async function raceAbort<T>(work: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(reason());
  });
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
