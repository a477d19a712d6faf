import { setTimeout as wait } from "node:timers/promises";

/** How often the CLI's --wait asks the server again. */
const POLL_MS = 500;

/** Reads until `done` says so, handing each answer to `seen` (a progress line or bar); the last answer. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  seen?: (value: T) => void,
): Promise<T> {
  for (;;) {
    const value = await read();
    seen?.(value);
    if (done(value)) return value;
    await wait(POLL_MS);
  }
}
