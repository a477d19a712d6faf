import type { PortalLink } from "../../core/portal-links.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { toPortalLink, type PortalLinkRow } from "../portal-link-rows.js";
import type { PortalLinkStore } from "../store.js";
import { ms, optMs, type PgExecutor } from "./executor.js";

export class PgPortalLinks implements PortalLinkStore {
  constructor(private readonly db: PgExecutor) {}

  async insert(link: PortalLink): Promise<void> {
    await this.db.query(
      "INSERT INTO portal_links (id, project_id, token_hash, read_only, created_at, expire_at, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [
        link.id,
        link.projectId,
        link.tokenHash,
        link.readOnly,
        ms(link.createdAt),
        ms(link.expireAt),
        optMs(link.openedAt),
      ],
    );
  }

  async get(id: string): Promise<PortalLink | undefined> {
    const row = await this.db.first<PortalLinkRow>("SELECT * FROM portal_links WHERE id = $1", [id]);
    return row && toPortalLink(row);
  }

  async list(projectId: string, now: number, page: PageRequest): Promise<Page<PortalLink>> {
    const rows = await this.db.all<PortalLinkRow>(
      "SELECT * FROM portal_links WHERE project_id = $1 AND expire_at > $2 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
      [projectId, ms(now), page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toPortalLink), page);
  }

  async open(tokenHash: string, now: number): Promise<PortalLink | undefined> {
    const row = await this.db.first<PortalLinkRow>(
      "UPDATE portal_links SET opened_at = $1 WHERE token_hash = $2 AND opened_at IS NULL AND expire_at > $1 RETURNING *",
      [ms(now), tokenHash],
    );
    return row && toPortalLink(row);
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    return (await this.db.count("DELETE FROM portal_links WHERE project_id = $1 AND id = $2", [projectId, id])) > 0;
  }

  deleteExpired(before: number): Promise<number> {
    return this.db.count("DELETE FROM portal_links WHERE expire_at < $1", [ms(before)]);
  }
}
