import type { RpcStatus } from "@tidings/sdk/contract";

/**
 * Domain errors. The HTTP adapter maps each to a google.rpc.Status; the core only says what went wrong
 * and, for bad input, which field and how to fix it.
 */
export type ErrorStatus =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "RESOURCE_EXHAUSTED"
  | "ABORTED"
  | "CANCELLED";

export class TidingsError extends Error {
  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "TidingsError";
  }
}

export function invalidArgument(field: string, description: string): TidingsError {
  return new TidingsError("INVALID_ARGUMENT", `${field}: ${description}`, field);
}

export function notFound(what: string): TidingsError {
  return new TidingsError("NOT_FOUND", `${what} not found`);
}

/** `value` when there is one, else NOT_FOUND naming `what`: a read of one resource by its id. */
export function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw notFound(what);
  return value;
}

export function failedPrecondition(message: string): TidingsError {
  return new TidingsError("FAILED_PRECONDITION", message);
}

/** The caller went away before the work was done, and it was stopped (google.rpc CANCELLED; no one reads the reply). */
export function cancelled(message: string): TidingsError {
  return new TidingsError("CANCELLED", message);
}

/** google.rpc.Code numbers by name, for the `error_code` of failure events (docs/wire.md: the event). */
const RPC_CODE: Record<string, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

/** The google.rpc.Code number of a status name; 2 (UNKNOWN) for a name it does not know. */
export function rpcCode(status: string): number {
  return RPC_CODE[status] ?? 2;
}

/**
 * A google.rpc.Status body: `code` is the HTTP code of the reply that carries it (the REST form, as Gemini
 * answers), and a field at fault becomes a BadRequest field violation that names it.
 */
export function statusBody(code: number, status: string, message: string, field?: string): RpcStatus {
  const body: RpcStatus = { error: { code, message, status } };
  if (field !== undefined) {
    const description = message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
    body.error.details = [
      { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field, description }] },
    ];
  }
  return body;
}
