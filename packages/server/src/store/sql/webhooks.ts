import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import type { WebhookState } from "../../core/webhooks.js";
import { toWebhook, webhookParams, type WebhookRow } from "../rows.js";
import type { WebhookRecord, WebhookStore } from "../store.js";
import { insertRow, ms, num, type SqlDb } from "./db.js";

export class SqlWebhooks implements WebhookStore {
  constructor(private readonly db: SqlDb) {}

  /** Keys are never given twice, deleted webhooks' included: their deliveries still name them (Dialect.newKey). */
  async insert(w: WebhookRecord): Promise<void> {
    await insertRow(this.db, "webhooks", webhookParams(w), this.db.dialect.newKey(["webhooks", "deleted_webhooks"]));
  }

  async get(projectId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = await this.db.first<WebhookRow>("SELECT * FROM webhooks WHERE project_id = :projectId AND id = :id", {
      projectId,
      id,
    });
    return row && toWebhook(row);
  }

  async list(projectId: string, page: PageRequest): Promise<Page<WebhookRecord>> {
    const rows = await this.db.all<WebhookRow>(
      "SELECT * FROM webhooks WHERE project_id = :projectId ORDER BY created_at, id LIMIT :limit OFFSET :offset",
      { projectId, limit: page.pageSize + 1, offset: page.offset },
    );
    return toPage(rows.map(toWebhook), page);
  }

  /** One project is the usual case: its query keeps the list parameter out. */
  async listEnabled(projectIds: readonly string[]): Promise<WebhookRecord[]> {
    if (projectIds.length === 0) return [];
    const [only] = projectIds;
    const rows =
      projectIds.length === 1
        ? await this.db.all<WebhookRow>("SELECT * FROM webhooks WHERE project_id = :only AND state = 'enabled'", {
            only,
          })
        : await this.db.all<WebhookRow>(
            `SELECT * FROM webhooks WHERE ${this.db.dialect.inList("project_id", "ids", "text")} AND state = 'enabled'`,
            { ids: projectIds },
          );
    return rows.map(toWebhook);
  }

  async update(w: WebhookRecord): Promise<void> {
    await this.db.run(
      `UPDATE webhooks SET name = :name, uri = :uri, subscribed_events = :subscribed_events, state = :state,
       sealed_secrets = :sealed_secrets, updated_at = :updated_at, last_success_at = :last_success_at,
       ordering = :ordering, rate_limit_per_second = :rate_limit_per_second
       WHERE project_id = :project_id AND id = :id`,
      webhookParams(w),
    );
  }

  async disable(projectId: string, id: string, state: Exclude<WebhookState, "enabled">, now: number): Promise<boolean> {
    return (
      (await this.db.run(
        `UPDATE webhooks SET state = :state, updated_at = :now
         WHERE project_id = :projectId AND id = :id AND state = 'enabled'`,
        { projectId, id, state, now: ms(now) },
      )) > 0
    );
  }

  async count(projectId: string): Promise<number> {
    const row = await this.db.first<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM webhooks WHERE project_id = :projectId",
      { projectId },
    );
    return num(row?.n ?? 0);
  }

  /**
   * Its key, id and URI stay in deleted_webhooks, for the record of its deliveries. Deleted first: of two deletes
   * at once, the second finds nothing (PostgreSQL waits on the row's lock) and records nothing.
   */
  delete(projectId: string, id: string, now: number): Promise<boolean> {
    return this.db.atomically(async (db) => {
      const gone = await db.first<{ key: number | string; id: string; project_id: string; uri: string }>(
        "DELETE FROM webhooks WHERE project_id = :projectId AND id = :id RETURNING key, id, project_id, uri",
        { projectId, id },
      );
      if (gone === undefined) return false;
      await insertRow(db, "deleted_webhooks", { ...gone, deleted_at: ms(now) });
      return true;
    });
  }
}
