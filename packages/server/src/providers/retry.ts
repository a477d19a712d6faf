import { cancelled } from "./failures.js";
import type { InteractionProvider, InteractionTurn, TurnResult } from "./interactions/types.js";
import { ProviderError, type GenerateContentRequest, type GenerateContentResponse, type Provider } from "./provider.js";
import { sleep as abortableSleep } from "../runtime/sleep.js";

/** An upstream asking for more than this gets retried sooner anyway: a sync caller is waiting. */
export const MAX_RETRY_AFTER_MS = 30_000;

export interface RetryOptions {
  /** Tries in all, the first included. */
  maxAttempts?: number;
  /** The first backoff; it doubles per retry, with jitter, up to MAX_RETRY_AFTER_MS. */
  baseDelayMs?: number;
  signal?: AbortSignal;
  /** Injected by tests; resolves false when the signal cut the wait short. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
  /** Returns [0, 1); tests pin it. */
  random?: () => number;
  /** Told before each wait, e.g. to log or count retries. */
  onRetry?: (error: ProviderError, attempt: number, delayMs: number) => void;
}

/**
 * Calls the provider until it answers, a non-retryable error occurs, the attempts run out or the signal aborts.
 * Retryable failures (429, 5xx, network, timeouts) wait `Retry-After` when the upstream gave one, else an
 * exponential backoff with jitter. The error of the last attempt is what the caller gets.
 */
export function generateWithRetry(
  provider: Provider,
  model: string,
  request: GenerateContentRequest,
  options: RetryOptions = {},
): Promise<GenerateContentResponse> {
  return withRetry(provider.name, (signal) => provider.generateContent(model, request, signal), options);
}

/** One model turn of an interaction, retried as generateWithRetry retries a generation. */
export function nextTurnWithRetry(
  provider: InteractionProvider,
  turn: InteractionTurn,
  options: RetryOptions = {},
): Promise<TurnResult> {
  return withRetry(provider.name, (signal) => provider.nextTurn(turn, signal), options);
}

/** The retry loop itself, for any call that rejects with ProviderError (`provider` names it in errors). */
export async function withRetry<T>(
  provider: string,
  call: (signal?: AbortSignal) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { maxAttempts = 4, baseDelayMs = 500, signal, sleep = abortableSleep, random = Math.random } = options;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw cancelled(provider);
    try {
      return await call(signal);
    } catch (err) {
      const error = err instanceof ProviderError ? err : unexpected(provider, err);
      if (!error.retryable) throw error;
      if (attempt >= maxAttempts) throw gaveUp(error, attempt);
      const delayMs = retryDelay(error, attempt, baseDelayMs, random);
      options.onRetry?.(error, attempt, delayMs);
      if (!(await sleep(delayMs, signal))) throw cancelled(provider);
    }
  }
}

/** Retry-After wins (capped); otherwise base × 2^(attempt−1), scaled by a random factor in [0.5, 1). */
export function retryDelay(
  error: ProviderError,
  attempt: number,
  baseDelayMs: number,
  random: () => number = Math.random,
): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS);
  const backoff = Math.min(baseDelayMs * 2 ** (attempt - 1), MAX_RETRY_AFTER_MS);
  return Math.round(backoff * (0.5 + random() / 2));
}

function gaveUp(error: ProviderError, attempts: number): ProviderError {
  return new ProviderError(`${error.message} (gave up after ${attempts} attempts)`, {
    status: error.status,
    code: error.code,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
    field: error.field,
  });
}

/** A provider broke its contract by throwing something else: a bug, so neither retried nor hidden. */
function unexpected(provider: string, err: unknown): ProviderError {
  return new ProviderError(
    `the ${provider} provider failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
    {
      status: 500,
      code: "INTERNAL",
      retryable: false,
    },
  );
}
