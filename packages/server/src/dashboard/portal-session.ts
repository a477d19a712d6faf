import type { PortalLink } from "../core/portal-links.js";
import type { Sealer } from "./session.js";

/**
 * A portal session, the second kind of dashboard session beside the API-key one (session.ts): opened by a
 * portal link, it seals the link it came from, its project, whether it is read-only and when it ends, never an
 * API key. Every request also checks the link (portal-links service), so revoking the link ends the session.
 */
export const PORTAL_COOKIE = "tidings_portal";

interface PortalClaims {
  /** The portal link's id. */
  l: string;
  /** Its project. */
  p: string;
  /** Read-only. */
  r: boolean;
  /** When it ends (ms): the link's expiry. */
  e: number;
}

/** What a request of a portal session may do, as the dashboard's pages read it. */
export interface PortalAccess {
  linkId: string;
  projectId: string;
  readOnly: boolean;
  expireAt: number;
}

export function sealPortalSession(sealer: Sealer, link: PortalLink): string {
  return sealer.seal(
    JSON.stringify({ l: link.id, p: link.projectId, r: link.readOnly, e: link.expireAt } satisfies PortalClaims),
  );
}

/**
 * The claims of a portal cookie that is still valid at `now`; undefined for a missing, forged, foreign or expired one.
 */
export function openPortalSession(sealer: Sealer, cookie: string | undefined, now: number): PortalAccess | undefined {
  if (cookie === undefined || cookie === "") return undefined;
  try {
    const claims = JSON.parse(sealer.open(cookie)) as Partial<PortalClaims>;
    if (
      typeof claims.l !== "string" ||
      typeof claims.p !== "string" ||
      typeof claims.r !== "boolean" ||
      typeof claims.e !== "number"
    )
      return undefined;
    if (now >= claims.e) return undefined;
    return { linkId: claims.l, projectId: claims.p, readOnly: claims.r, expireAt: claims.e };
  } catch {
    return undefined;
  }
}
