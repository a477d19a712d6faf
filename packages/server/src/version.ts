/** The release: in the webhooks' user-agent and the OpenAPI document. */
export const VERSION = "0.1.0";

/** The `user-agent` of every webhook attempt (docs/wire.md: the event). */
export const USER_AGENT = `Tidings/${VERSION}`;
