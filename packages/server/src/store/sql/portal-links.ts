import type { PortalLink } from "../../core/portal-links.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { toPortalLink, type PortalLinkRow } from "../portal-link-rows.js";
import type { PortalLinkStore } from "../store.js";
import { insertRow, ms, optMs, type SqlDb } from "./db.js";

export class SqlPortalLinks implements PortalLinkStore {
  constructor(private readonly db: SqlDb) {}

  async insert(link: PortalLink): Promise<void> {
    await insertRow(this.db, "portal_links", {
      id: link.id,
      project_id: link.projectId,
      token_hash: link.tokenHash,
      read_only: link.readOnly,
      created_at: ms(link.createdAt),
      expire_at: ms(link.expireAt),
      opened_at: optMs(link.openedAt),
    });
  }

  async get(id: string): Promise<PortalLink | undefined> {
    const row = await this.db.first<PortalLinkRow>("SELECT * FROM portal_links WHERE id = :id", { id });
    return row && toPortalLink(row);
  }

  async list(projectId: string, now: number, page: PageRequest): Promise<Page<PortalLink>> {
    const rows = await this.db.all<PortalLinkRow>(
      `SELECT * FROM portal_links WHERE project_id = :projectId AND expire_at > :now ORDER BY created_at DESC, id DESC
       LIMIT :limit OFFSET :offset`,
      { projectId, now: ms(now), limit: page.pageSize + 1, offset: page.offset },
    );
    return toPage(rows.map(toPortalLink), page);
  }

  async open(tokenHash: string, now: number): Promise<PortalLink | undefined> {
    const row = await this.db.first<PortalLinkRow>(
      `UPDATE portal_links SET opened_at = :now WHERE token_hash = :tokenHash AND opened_at IS NULL AND expire_at > :now
       RETURNING *`,
      { tokenHash, now: ms(now) },
    );
    return row && toPortalLink(row);
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    return (
      (await this.db.run("DELETE FROM portal_links WHERE project_id = :projectId AND id = :id", { projectId, id })) > 0
    );
  }

  deleteExpired(before: number): Promise<number> {
    return this.db.run("DELETE FROM portal_links WHERE expire_at < :before", { before: ms(before) });
  }
}
