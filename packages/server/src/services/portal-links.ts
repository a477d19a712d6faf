import type { CreatePortalLinkRequest } from "@tidings/sdk/contract";
import { notFound } from "../core/errors.js";
import { newResourceId } from "../core/ids.js";
import type { Page, PageRequest } from "../core/pages.js";
import { portalLinkTtl, portalSessionHolds, type PortalLink } from "../core/portal-links.js";
import { hashPortalToken, newPortalToken } from "../crypto/portal-tokens.js";
import type { ServiceContext } from "./context.js";

/** Where a portal link's token is opened: the dashboard's route, on the server's public URL. */
export const PORTAL_PATH = "/dashboard/portal/";

/**
 * Portal links: a project's key makes a single-use link that signs a browser into that project's dashboard,
 * read-only if asked, until the link expires; the key itself never leaves the API call.
 */
export class PortalLinkService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly publicUrl: () => string,
  ) {}

  /** A new link; its URL is returned only now (only the token's hash is kept). */
  async create(projectId: string, input: CreatePortalLinkRequest): Promise<{ link: PortalLink; url: string }> {
    const now = this.ctx.clock.now();
    const ttlMs = portalLinkTtl(input.ttl);
    const token = newPortalToken();
    const link: PortalLink = {
      id: newResourceId(now),
      projectId,
      tokenHash: hashPortalToken(token),
      readOnly: input.read_only ?? false,
      createdAt: now,
      expireAt: now + ttlMs,
    };
    // Expired links can neither open nor hold a session: forget them as new ones are made.
    await this.ctx.store.portalLinks.deleteExpired(now);
    await this.ctx.store.portalLinks.insert(link);
    return { link, url: `${this.publicUrl()}${PORTAL_PATH}${token}` };
  }

  /** The project's links that have not expired, newest first. */
  list(projectId: string, page: PageRequest): Promise<Page<PortalLink>> {
    return this.ctx.store.portalLinks.list(projectId, this.ctx.clock.now(), page);
  }

  /** Revokes a link: it no longer opens, and the session it opened ends at its next request. */
  async revoke(projectId: string, id: string): Promise<void> {
    if (!(await this.ctx.store.portalLinks.delete(projectId, id))) throw notFound(`portalLinks/${id}`);
  }

  /** Ends a portal session by revoking its link; nothing to do if it is gone already. */
  async end(projectId: string, linkId: string): Promise<void> {
    await this.ctx.store.portalLinks.delete(projectId, linkId);
  }

  /**
   * Opens the link `token` names, once and before it expires; undefined for a used, expired, revoked or made-up one.
   */
  open(token: string): Promise<PortalLink | undefined> {
    return this.ctx.store.portalLinks.open(hashPortalToken(token), this.ctx.clock.now());
  }

  /**
   * The link behind a portal session while the session holds (the link was opened, is not revoked, has not expired).
   */
  async session(linkId: string): Promise<PortalLink | undefined> {
    const link = await this.ctx.store.portalLinks.get(linkId);
    return portalSessionHolds(link, this.ctx.clock.now()) ? link : undefined;
  }
}
