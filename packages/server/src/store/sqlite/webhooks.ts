import type { WebhookState } from "../../core/webhooks.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import { toWebhook, webhookParams, type WebhookRow } from "../rows.js";
import type { WebhookRecord, WebhookStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteWebhooks extends SqliteAggregate implements WebhookStore {
  insert(w: WebhookRecord): Promise<void> {
    return this.run(() => {
      this.statement(
        // Keys are never given twice, deleted webhooks' included: their deliveries still name them.
        `INSERT INTO webhooks (id, project_id, name, uri, subscribed_events, state, signing_scheme, sealed_secrets, created_at, updated_at,
         last_success_at, ordering, rate_limit_per_second, key)
         VALUES (@id, @project_id, @name, @uri, @subscribed_events, @state, @signing_scheme, @sealed_secrets, @created_at, @updated_at,
         @last_success_at, @ordering, @rate_limit_per_second,
         1 + MAX(COALESCE((SELECT MAX(key) FROM webhooks), 0), COALESCE((SELECT MAX(key) FROM deleted_webhooks), 0)))`,
      ).run(webhookParams(w));
    });
  }

  get(projectId: string, id: string): Promise<WebhookRecord | undefined> {
    return this.run(() => {
      const row = this.statement("SELECT * FROM webhooks WHERE project_id = ? AND id = ?").get(projectId, id) as
        | WebhookRow
        | undefined;
      return row && toWebhook(row);
    });
  }

  list(projectId: string, page: PageRequest): Promise<Page<WebhookRecord>> {
    return this.run(() => {
      const rows = this.statement(
        "SELECT * FROM webhooks WHERE project_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?",
      ).all(projectId, page.pageSize + 1, page.offset) as WebhookRow[];
      return toPage(rows.map(toWebhook), page);
    });
  }

  listEnabled(projectIds: readonly string[]): Promise<WebhookRecord[]> {
    if (projectIds.length === 0) return Promise.resolve([]);
    // One project is the usual case: keep json_each out of that query.
    return this.run(() =>
      (projectIds.length === 1
        ? (this.statement("SELECT * FROM webhooks WHERE project_id = ? AND state = 'enabled'").all(
            projectIds[0],
          ) as WebhookRow[])
        : (this.statement(
            "SELECT * FROM webhooks WHERE project_id IN (SELECT value FROM json_each(?)) AND state = 'enabled'",
          ).all(JSON.stringify(projectIds)) as WebhookRow[])
      ).map(toWebhook),
    );
  }

  update(w: WebhookRecord): Promise<void> {
    return this.run(() => {
      this.statement(
        `UPDATE webhooks SET name = @name, uri = @uri, subscribed_events = @subscribed_events, state = @state,
         sealed_secrets = @sealed_secrets, updated_at = @updated_at, last_success_at = @last_success_at,
         ordering = @ordering, rate_limit_per_second = @rate_limit_per_second
         WHERE project_id = @project_id AND id = @id`,
      ).run(webhookParams(w));
    });
  }

  disable(projectId: string, id: string, state: Exclude<WebhookState, "enabled">, now: number): Promise<boolean> {
    return this.run(
      () =>
        this.statement(
          "UPDATE webhooks SET state = ?, updated_at = ? WHERE project_id = ? AND id = ? AND state = 'enabled'",
        ).run(state, now, projectId, id).changes > 0,
    );
  }

  count(projectId: string): Promise<number> {
    return this.run(
      () =>
        (this.statement("SELECT COUNT(*) AS n FROM webhooks WHERE project_id = ?").get(projectId) as { n: number }).n,
    );
  }

  /** Its key, id and URI stay in deleted_webhooks, for the record of its deliveries. */
  delete(projectId: string, id: string, now: number): Promise<boolean> {
    return this.atomically(() => {
      this.statement(
        "INSERT INTO deleted_webhooks (key, id, project_id, uri, deleted_at) SELECT key, id, project_id, uri, ? FROM webhooks WHERE project_id = ? AND id = ?",
      ).run(now, projectId, id);
      return this.statement("DELETE FROM webhooks WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0;
    });
  }
}
