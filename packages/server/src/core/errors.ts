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
  | "RESOURCE_EXHAUSTED";

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

export function failedPrecondition(message: string): TidingsError {
  return new TidingsError("FAILED_PRECONDITION", message);
}
