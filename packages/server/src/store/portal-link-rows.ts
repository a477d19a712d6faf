import type { PortalLink } from "../core/portal-links.js";

/** The portal_links table's row, shared by the SQL drivers; pg hands BIGINT columns over as strings. */
export interface PortalLinkRow {
  id: string;
  project_id: string;
  token_hash: string;
  read_only: number | boolean;
  created_at: number | string;
  expire_at: number | string;
  opened_at: number | string | null;
}

export const toPortalLink = (r: PortalLinkRow): PortalLink => ({
  id: r.id,
  projectId: r.project_id,
  tokenHash: r.token_hash,
  readOnly: Boolean(r.read_only),
  createdAt: Number(r.created_at),
  expireAt: Number(r.expire_at),
  ...(r.opened_at !== null ? { openedAt: Number(r.opened_at) } : {}),
});
