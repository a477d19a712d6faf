import { isIP } from "node:net";
import { invalidArgument } from "../core/errors.js";
import type { AddressPolicy } from "../delivery/address-policy.js";

export interface UriRules {
  allowHttp: boolean;
  policy: AddressPolicy;
}

/** Checks a webhook target at registration: https (http in dev mode) and no literal private address or localhost. */
export function validateTargetUri(uri: unknown, field: string, rules: UriRules): string {
  if (typeof uri !== "string" || uri === "") throw invalidArgument(field, "is required: the https URL that receives the events");
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalidArgument(field, `"${uri}" is not an absolute URL; use the form https://example.com/webhooks`);
  }
  if (url.protocol !== "https:" && !(rules.allowHttp && url.protocol === "http:")) {
    throw invalidArgument(field, `must use https (got ${url.protocol.replace(":", "")}); plain http is only allowed in dev mode (TIDINGS_DEV=1)`);
  }
  if (url.username !== "" || url.password !== "") throw invalidArgument(field, "must not carry credentials; authenticate by verifying signatures instead");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = host === "localhost" || host.endsWith(".localhost") ? "127.0.0.1" : host;
  if (isIP(literal) !== 0) {
    const refusal = rules.policy.refusal(literal);
    if (refusal !== undefined) throw invalidArgument(field, refusal);
  }
  return uri;
}
