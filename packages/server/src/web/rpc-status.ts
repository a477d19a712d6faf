import type { RpcStatus } from "@tidings/sdk/contract";
import { statusBody, TidingsError, type ErrorStatus } from "../core/errors.js";
import { LimitExceededError } from "../core/limits.js";
import { LOGGED_INTERNAL_ERROR } from "../providers/failure-status.js";
import { StoreFullError, StoreUnavailableError } from "../store/errors.js";

/**
 * Errors as google.rpc.Status, the one error shape every endpoint answers with, for the API (http/) and the
 * dashboard (dashboard/) alike. A Fastify validation error is the API's to turn into a TidingsError first.
 */
export type { RpcStatus } from "@tidings/sdk/contract";

const HTTP_CODE: Record<
  ErrorStatus | "INTERNAL" | "PAYLOAD_TOO_LARGE" | "INSUFFICIENT_STORAGE" | "UNAVAILABLE",
  number
> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  RESOURCE_EXHAUSTED: 429,
  // google.rpc ABORTED: a concurrency conflict (a retry that waited in vain for the first request with its key).
  ABORTED: 409,
  // google.rpc CANCELLED: the client closed the request (the code nginx and Google's mapping give it).
  CANCELLED: 499,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  // RESOURCE_EXHAUSTED on the wire: the server's disk, not the caller's quota, so a 507 rather than a 429.
  INSUFFICIENT_STORAGE: 507,
};

/** The google.rpc status names of the HTTP-only ones. */
const WIRE_STATUS: Partial<Record<keyof typeof HTTP_CODE, string>> = {
  PAYLOAD_TOO_LARGE: "INVALID_ARGUMENT",
  INSUFFICIENT_STORAGE: "RESOURCE_EXHAUSTED",
};

/** What a client is told to wait before retrying a 503: long enough for a database restart to begin to take. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

export function rpcStatus(
  status: keyof typeof HTTP_CODE,
  message: string,
  field?: string,
): { code: number; body: RpcStatus } {
  const code = HTTP_CODE[status];
  return { code, body: statusBody(code, WIRE_STATUS[status] ?? status, message, field) };
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
}

/** The default limit on a JSON body; a route may allow more (an inline batch: 64 MiB). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes}-byte`;
}

/**
 * Maps anything thrown in a handler to a google.rpc.Status; only real bugs become 500. `bodyLimit` is the
 * route's, for the message of a body too large.
 */
export function toRpcStatus(err: unknown, bodyLimit = BODY_LIMIT_BYTES): { code: number; body: RpcStatus } {
  if (err instanceof LimitExceededError) return limitStatus(err);
  if (err instanceof TidingsError) return rpcStatus(err.status, err.message, err.field);
  if (err instanceof StoreUnavailableError) {
    return rpcStatus(
      "UNAVAILABLE",
      `the database is unavailable; nothing was changed, retry after ${UNAVAILABLE_RETRY_AFTER_S} s`,
    );
  }
  if (isDiskFull(err)) {
    return rpcStatus(
      "INSUFFICIENT_STORAGE",
      `the server's disk is full (${err instanceof StoreFullError ? "the database" : "the data directory"} could not write): nothing was changed. ` +
        `Reads still work; writes resume by themselves once there is room on the data directory's disk. Retry after ${UNAVAILABLE_RETRY_AFTER_S} s`,
    );
  }
  const e = err as FastifyLikeError;
  switch (e.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return rpcStatus(
        "INVALID_ARGUMENT",
        `body: is not valid JSON (${e.message}); send a JSON object with content-type application/json`,
        "body",
      );
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return rpcStatus(
        "PAYLOAD_TOO_LARGE",
        `body: is larger than this call's ${formatBytes(bodyLimit)} limit; send a pointer (a file URI) instead of the data`,
        "body",
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return rpcStatus("INVALID_ARGUMENT", "content-type: must be application/json", "content-type");
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return rpcStatus(e.statusCode === 404 ? "NOT_FOUND" : "INVALID_ARGUMENT", e.message);
  }
  return rpcStatus("INTERNAL", LOGGED_INTERNAL_ERROR);
}

/** The database's disk, or the data dir's (uploaded files, batch outputs), is full. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof StoreFullError || code === "ENOSPC" || code === "EDQUOT";
}

/**
 * A limit reached: RESOURCE_EXHAUSTED with the limit named three ways, in the message, as google.rpc.QuotaFailure
 * (what Google's APIs send for a quota) and as google.rpc.ErrorInfo, whose `reason` a client can switch on.
 */
function limitStatus(err: LimitExceededError): { code: number; body: RpcStatus } {
  const code = err.httpStatus;
  return {
    code,
    body: {
      error: {
        code,
        message: err.message,
        status: "RESOURCE_EXHAUSTED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [{ subject: err.setting, description: err.message }],
          },
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: err.limit.toUpperCase(),
            domain: "tidings",
            metadata: { limit: err.setting },
          },
        ],
      },
    },
  };
}
