import type { TSchema } from "@sinclair/typebox";
import { ErrorResponses } from "@tidings/sdk/contract";

/** A route's replies: its message on 200, google.rpc.Status on every 4xx and 5xx. */
export function replies<T extends TSchema>(ok: T) {
  return { 200: ok, ...ErrorResponses };
}
