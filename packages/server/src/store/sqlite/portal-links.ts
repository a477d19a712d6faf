import type { PortalLink } from "../../core/portal-links.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { toPortalLink, type PortalLinkRow } from "../portal-link-rows.js";
import type { PortalLinkStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqlitePortalLinks extends SqliteAggregate implements PortalLinkStore {
  insert(link: PortalLink): Promise<void> {
    return this.run(() => {
      this.statement(
        "INSERT INTO portal_links (id, project_id, token_hash, read_only, created_at, expire_at, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(
        link.id,
        link.projectId,
        link.tokenHash,
        link.readOnly ? 1 : 0,
        link.createdAt,
        link.expireAt,
        link.openedAt ?? null,
      );
    });
  }

  get(id: string): Promise<PortalLink | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM portal_links WHERE id = ?").get(id) as PortalLinkRow | undefined;
      return row && toPortalLink(row);
    });
  }

  list(projectId: string, now: number, page: PageRequest): Promise<Page<PortalLink>> {
    return this.run(() => {
      const rows = this.statement(
        "SELECT * FROM portal_links WHERE project_id = ? AND expire_at > ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
      ).all(projectId, now, page.pageSize + 1, page.offset) as PortalLinkRow[];
      return toPage(rows.map(toPortalLink), page);
    });
  }

  open(tokenHash: string, now: number): Promise<PortalLink | undefined> {
    return this.run(() => {
      const row = this.statement(
        "UPDATE portal_links SET opened_at = ? WHERE token_hash = ? AND opened_at IS NULL AND expire_at > ? RETURNING *",
      ).get(now, tokenHash, now) as PortalLinkRow | undefined;
      return row && toPortalLink(row);
    });
  }

  delete(projectId: string, id: string): Promise<boolean> {
    return this.run(
      () => this.statement("DELETE FROM portal_links WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0,
    );
  }

  deleteExpired(before: number): Promise<number> {
    return this.run(() => this.statement("DELETE FROM portal_links WHERE expire_at < ?").run(before).changes);
  }
}
