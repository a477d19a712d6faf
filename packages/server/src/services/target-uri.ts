import { isIP } from "node:net";
import { invalidArgument } from "../core/errors.js";
import type { AddressPolicy } from "../net/address-policy.js";

export interface UriRules {
  allowHttp: boolean;
  policy: AddressPolicy;
}

/** Checks a webhook target at registration: https (http in dev mode) and no literal private address or localhost. */
export function validateTargetUri(uri: unknown, field: string, rules: UriRules): string {
  if (typeof uri !== "string" || uri === "")
    throw invalidArgument(field, "is required: the https URL that receives the events");
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalidArgument(field, `"${uri}" is not an absolute URL; use the form https://example.com/webhooks`);
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (scheme !== "https" && scheme !== "http") {
    const allowed = rules.allowHttp ? "an https or http URL" : "an https URL";
    throw invalidArgument(
      field,
      `must be ${allowed} (got ${scheme}): events are delivered as HTTP POST requests, e.g. https://example.com/webhooks`,
    );
  }
  if (scheme === "http" && !rules.allowHttp) {
    throw invalidArgument(field, "must use https (got http); plain http is only allowed in dev mode (TIDINGS_DEV=1)");
  }
  if (url.username !== "" || url.password !== "")
    throw invalidArgument(field, "must not carry credentials; authenticate by verifying signatures instead");
  // A fully qualified name may end in dots (`localhost.`); it names the same host.
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.+$/, "");
  // `localhost` and its subdomains are this machine whatever DNS says (RFC 6761).
  if (host === "localhost" || host.endsWith(".localhost")) {
    const refusal = rules.policy.refusal("127.0.0.1");
    if (refusal !== undefined) throw invalidArgument(field, `${url.hostname} names this machine: ${refusal}`);
  } else if (isIP(host) !== 0) {
    const refusal = rules.policy.refusal(host);
    if (refusal !== undefined) throw invalidArgument(field, refusal);
  }
  return uri;
}
