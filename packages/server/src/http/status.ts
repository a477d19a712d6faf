import type { RpcStatus } from "@tidings/sdk/contract";
import type { ErrorObject } from "ajv";
import { TidingsError, type ErrorStatus } from "../core/errors.js";
import { LimitExceededError } from "../core/limits.js";
import type { ProviderError } from "../providers/provider.js";
import { StoreUnavailableError } from "../store/errors.js";
import { validationViolation } from "./validation.js";

/** google.rpc.Status, the one error shape every endpoint answers with. */
export type { RpcStatus } from "@tidings/sdk/contract";

const HTTP_CODE: Record<ErrorStatus | "INTERNAL" | "PAYLOAD_TOO_LARGE" | "UNAVAILABLE", number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  RESOURCE_EXHAUSTED: 429,
  // google.rpc CANCELLED: the client closed the request (the code nginx and Google's mapping give it).
  CANCELLED: 499,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

/** What a client is told to wait before retrying a 503: long enough for a database restart to begin to take. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

export function rpcStatus(status: keyof typeof HTTP_CODE, message: string, field?: string): { code: number; body: RpcStatus } {
  const code = HTTP_CODE[status];
  const body: RpcStatus = { error: { code, message, status: status === "PAYLOAD_TOO_LARGE" ? "INVALID_ARGUMENT" : status } };
  if (field !== undefined) {
    const description = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
    body.error.details = [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field, description }] }];
  }
  return { code, body };
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: ErrorObject[];
  validationContext?: string;
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
    return rpcStatus("UNAVAILABLE", `the database is unavailable; nothing was changed, retry after ${UNAVAILABLE_RETRY_AFTER_S} s`);
  }
  const e = err as FastifyLikeError;
  const violation = validationViolation(e);
  if (violation !== undefined) return rpcStatus(violation.status, violation.message, violation.field);
  switch (e.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return rpcStatus("INVALID_ARGUMENT", `body: is not valid JSON (${e.message}); send a JSON object with content-type application/json`, "body");
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
  return rpcStatus("INTERNAL", "internal error; the server logged the details");
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
          { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ subject: err.setting, description: err.message }] },
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: err.limit.toUpperCase(), domain: "tidings", metadata: { limit: err.setting } },
        ],
      },
    },
  };
}

/** A provider failure as google.rpc.Status: the code and name were chosen where the failure was understood. */
export function providerStatus(err: ProviderError): RpcStatus {
  const status: RpcStatus = { error: { code: err.status, message: err.message, status: err.code } };
  if (err.field !== undefined) {
    const description = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
    status.error.details = [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: err.field, description }] }];
  }
  return status;
}
