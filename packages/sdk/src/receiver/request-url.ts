/// <reference types="node" />
// Types only: erased at runtime, so this module loads without node:http.
import type { IncomingMessage } from "node:http";

export interface RequestUrlOptions {
  /**
   * Take the scheme and host from `X-Forwarded-Proto` and `X-Forwarded-Host` (their first values) instead
   * of the socket and `Host`. Only behind a proxy that sets both, overwriting what clients sent. Default false.
   */
  trustProxy?: boolean;
}

function first(value: string | string[] | undefined): string | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.split(",")[0]?.trim();
  return text === undefined || text === "" ? undefined : text;
}

/**
 * The absolute URL a Node request arrived at, as this server saw it: `https` on a TLS socket (else
 * `http`), the `Host` header, and the path with its query. It is what a dynamic webhook's JWT is checked
 * against when the receiver is given no `audience`; undefined without a Host.
 */
export function nodeRequestUrl(
  req: IncomingMessage,
  options: RequestUrlOptions = {},
  path = req.url,
): string | undefined {
  let scheme = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true ? "https" : "http";
  let host = first(req.headers.host);
  if (options.trustProxy === true) {
    scheme = first(req.headers["x-forwarded-proto"]) ?? scheme;
    host = first(req.headers["x-forwarded-host"]) ?? host;
  }
  return host === undefined || path === undefined ? undefined : `${scheme}://${host}${path}`;
}
