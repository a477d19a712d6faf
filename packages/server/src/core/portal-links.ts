import { invalidArgument } from "./errors.js";
import { parseDuration } from "./timestamps.js";

/**
 * A portal link: a single-use URL that signs a browser into one project's dashboard without its API key
 * (Svix's app portal, Outpost's and Convoy's portals). The URL carries a random token; only its hash is kept.
 * The link may be opened once, until `expireAt`, and the session it opens ends then too (or when the link is
 * revoked, which deletes it).
 */
export interface PortalLink {
  id: string;
  projectId: string;
  /** SHA-256 of the token in the URL. */
  tokenHash: string;
  /** The session sees the project but changes nothing: no forms, every POST refused. */
  readOnly: boolean;
  createdAt: number;
  expireAt: number;
  /** When it was opened; a link opens once. */
  openedAt?: number;
}

export const PORTAL_TTL_DEFAULT_MS = 3_600_000;
const PORTAL_TTL_MIN_MS = 60_000;
const PORTAL_TTL_MAX_MS = 24 * 3_600_000;

/** The `ttl` of a new link (default one hour), or a 400 naming it when outside one minute to 24 hours. */
export function portalLinkTtl(ttl: string | undefined): number {
  if (ttl === undefined) return PORTAL_TTL_DEFAULT_MS;
  const ms = parseDuration(ttl);
  if (ms === undefined || ms < PORTAL_TTL_MIN_MS || ms > PORTAL_TTL_MAX_MS) {
    throw invalidArgument(
      "ttl",
      `must be a duration from "60s" to "86400s" (24 h), e.g. "3600s"; got ${JSON.stringify(ttl)}`,
    );
  }
  return ms;
}

/**
 * Whether a session opened from `link` still holds at `now`: the link exists (not revoked), was opened, and has not
 * expired.
 */
export function portalSessionHolds(link: PortalLink | undefined, now: number): link is PortalLink {
  return link !== undefined && link.openedAt !== undefined && now < link.expireAt;
}
