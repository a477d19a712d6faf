import { ProviderError } from "./provider.js";

/**
 * The one table from "what went wrong upstream" to ProviderError, shared by every provider (and by `local`'s
 * simulated failures) so the sync endpoint and the batch runner see the same codes whatever the backend.
 */
export function upstreamStatusError(
  provider: string,
  httpStatus: number,
  detail: string,
  retryAfterMs?: number,
): ProviderError {
  const said = detail === "" ? "" : `: ${detail}`;
  if (httpStatus === 429) {
    return new ProviderError(`the ${provider} provider is rate limited (HTTP 429)${said}; try again later`, {
      status: 429,
      code: "RESOURCE_EXHAUSTED",
      retryable: true,
      retryAfterMs,
    });
  }
  if (httpStatus === 408 || httpStatus === 504) {
    return new ProviderError(`the ${provider} provider timed out (HTTP ${httpStatus})${said}; try again`, {
      status: 504,
      code: "DEADLINE_EXCEEDED",
      retryable: true,
      retryAfterMs,
    });
  }
  if (httpStatus >= 500) {
    return new ProviderError(`the ${provider} provider failed (HTTP ${httpStatus})${said}; try again`, {
      status: 503,
      code: "UNAVAILABLE",
      retryable: true,
      retryAfterMs,
    });
  }
  if (httpStatus === 401 || httpStatus === 403) {
    // The credentials are the server's, not the caller's: answering 401 would blame the wrong key.
    return new ProviderError(
      `the ${provider} provider refused Tidings' credentials (HTTP ${httpStatus})${said}; check TIDINGS_PROVIDER_API_KEY`,
      {
        status: 502,
        code: "INTERNAL",
        retryable: false,
      },
    );
  }
  if (httpStatus === 404) {
    return new ProviderError(`the ${provider} provider does not know this model or path (HTTP 404)${said}`, {
      status: 404,
      code: "NOT_FOUND",
      retryable: false,
    });
  }
  if (httpStatus >= 400) {
    return new ProviderError(`the ${provider} provider rejected the request (HTTP ${httpStatus})${said}`, {
      status: 400,
      code: "INVALID_ARGUMENT",
      retryable: false,
    });
  }
  return malformedReply(provider, `unexpected HTTP ${httpStatus}${said}`);
}

export function networkError(provider: string, cause: string): ProviderError {
  return new ProviderError(
    `could not reach the ${provider} provider (${cause}); check TIDINGS_PROVIDER_BASE_URL and that the server is up`,
    {
      status: 503,
      code: "UNAVAILABLE",
      retryable: true,
    },
  );
}

export function timeoutError(provider: string, timeoutMs: number): ProviderError {
  return new ProviderError(
    `the ${provider} provider did not answer within ${timeoutMs} ms (TIDINGS_PROVIDER_TIMEOUT_MS)`,
    {
      status: 504,
      code: "DEADLINE_EXCEEDED",
      retryable: true,
    },
  );
}

export function malformedReply(provider: string, what: string): ProviderError {
  return new ProviderError(`the ${provider} provider sent a malformed reply: ${what}`, {
    status: 502,
    code: "INTERNAL",
    retryable: false,
  });
}

export function cancelled(provider: string): ProviderError {
  return new ProviderError(`the request to the ${provider} provider was cancelled`, {
    status: 499,
    code: "CANCELLED",
    retryable: false,
  });
}

/** A request the provider cannot express (an image for a text-only backend, …): the caller must change it. */
export function unsupported(provider: string, field: string, what: string, fix?: string): ProviderError {
  return new ProviderError(
    `${field}: ${what} is not supported by the ${provider} provider${fix === undefined ? "" : `; ${fix}`}`,
    {
      status: 400,
      code: "INVALID_ARGUMENT",
      retryable: false,
      field,
    },
  );
}
