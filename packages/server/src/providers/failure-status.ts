import type { RpcStatus } from "@tidings/sdk/contract";
import { rpcCode, statusBody } from "../core/errors.js";
import { ProviderError } from "./provider.js";

/** What a fault of Tidings' own (not the provider's answer) says to whoever asked: the details are in the log. */
export const LOGGED_INTERNAL_ERROR = "internal error; the server logged the details";

/**
 * A failed generation as Tidings' own callers are told of it, the one conversion every surface uses: a
 * ProviderError keeps the code, name and field chosen where it was understood; anything else is INTERNAL
 * (a fault here, which the caller also logs), its message what `unexpected` makes of the error's.
 */
function describe(
  err: unknown,
  unexpected: (detail: string) => string,
): { httpCode: number; status: string; message: string; field?: string } {
  if (err instanceof ProviderError)
    return { httpCode: err.status, status: err.code, message: err.message, field: err.field };
  return { httpCode: 500, status: "INTERNAL", message: unexpected(err instanceof Error ? err.message : String(err)) };
}

/** As google.rpc.Status with the HTTP code: an API error reply, a batch line's `error`, a stream's `error` event. */
export function failureStatus(
  err: unknown,
  unexpected: (detail: string) => string = () => LOGGED_INTERNAL_ERROR,
): RpcStatus {
  const { httpCode, status, message, field } = describe(err, unexpected);
  return statusBody(httpCode, status, message, field);
}

/** As the error an ended interaction or operation records: its code a google.rpc.Code, as failure events carry it. */
export function failureError(
  err: unknown,
  unexpected: (detail: string) => string,
): { code: number; status: string; message: string } {
  const { status, message } = describe(err, unexpected);
  return { code: rpcCode(status), status, message };
}
