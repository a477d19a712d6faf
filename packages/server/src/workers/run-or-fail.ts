import { ProviderError } from "../providers/provider.js";

/**
 * Runs one leased item's work. When it throws, unless the run was stopped (a stop, a cancel, an expiry: its
 * end is someone else's), the item fails through `fail`. A provider's refusal is the item's outcome; anything
 * else is also a fault here, logged and counted by `onError`, as is a failure to record the failure.
 */
export async function runOrFail(
  id: string,
  signal: AbortSignal,
  work: () => Promise<void>,
  fail: (err: unknown) => Promise<unknown>,
  onError: (err: unknown, id?: string) => void,
): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (signal.aborted) return;
    if (!(err instanceof ProviderError)) onError(err, id);
    await fail(err).catch((failErr: unknown) => onError(failErr, id));
  }
}
