import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import type { WebhookState } from "../../core/webhooks.js";
import { toWebhook, webhookParams, type WebhookRow } from "../rows.js";
import type { WebhookRecord, WebhookStore } from "../store.js";
import { ms, optMs, type PgExecutor } from "./executor.js";

export class PgWebhooks implements WebhookStore {
  constructor(private readonly db: PgExecutor) {}

  async insert(w: WebhookRecord): Promise<void> {
    const p = webhookParams(w);
    await this.db.query(
      `INSERT INTO webhooks (id, project_id, name, uri, subscribed_events, state, signing_scheme, sealed_secrets, created_at, updated_at,
       last_success_at, ordering, rate_limit_per_second)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        p.id,
        p.project_id,
        p.name,
        p.uri,
        p.subscribed_events,
        p.state,
        p.signing_scheme,
        p.sealed_secrets,
        ms(p.created_at),
        ms(p.updated_at),
        optMs(w.lastSuccessAt),
        p.ordering,
        p.rate_limit_per_second,
      ],
    );
  }

  async get(projectId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = await this.db.first<WebhookRow>("SELECT * FROM webhooks WHERE project_id = $1 AND id = $2", [
      projectId,
      id,
    ]);
    return row && toWebhook(row);
  }

  async list(projectId: string, page: PageRequest): Promise<Page<WebhookRecord>> {
    const rows = await this.db.all<WebhookRow>(
      "SELECT * FROM webhooks WHERE project_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
      [projectId, page.pageSize + 1, page.offset],
    );
    return toPage(rows.map(toWebhook), page);
  }

  async listEnabled(projectIds: readonly string[]): Promise<WebhookRecord[]> {
    if (projectIds.length === 0) return [];
    return (
      await this.db.all<WebhookRow>("SELECT * FROM webhooks WHERE project_id = ANY($1::text[]) AND state = 'enabled'", [
        [...projectIds],
      ])
    ).map(toWebhook);
  }

  async update(w: WebhookRecord): Promise<void> {
    const p = webhookParams(w);
    await this.db.query(
      `UPDATE webhooks SET name = $3, uri = $4, subscribed_events = $5, state = $6, sealed_secrets = $7, updated_at = $8,
       last_success_at = $9, ordering = $10, rate_limit_per_second = $11 WHERE project_id = $1 AND id = $2`,
      [
        p.project_id,
        p.id,
        p.name,
        p.uri,
        p.subscribed_events,
        p.state,
        p.sealed_secrets,
        ms(p.updated_at),
        optMs(w.lastSuccessAt),
        p.ordering,
        p.rate_limit_per_second,
      ],
    );
  }

  async disable(projectId: string, id: string, state: Exclude<WebhookState, "enabled">, now: number): Promise<boolean> {
    return (
      (await this.db.count(
        "UPDATE webhooks SET state = $1, updated_at = $2 WHERE project_id = $3 AND id = $4 AND state = 'enabled'",
        [state, ms(now), projectId, id],
      )) > 0
    );
  }

  async count(projectId: string): Promise<number> {
    return Number(
      (await this.db.first<{ n: string }>("SELECT COUNT(*) AS n FROM webhooks WHERE project_id = $1", [projectId]))
        ?.n ?? 0,
    );
  }

  /** One statement: its key, id and URI stay in deleted_webhooks, for the record of its deliveries. */
  async delete(projectId: string, id: string, now: number): Promise<boolean> {
    return (
      (await this.db.count(
        `WITH gone AS (DELETE FROM webhooks WHERE project_id = $1 AND id = $2 RETURNING key, id, project_id, uri)
         INSERT INTO deleted_webhooks (key, id, project_id, uri, deleted_at) SELECT key, id, project_id, uri, $3 FROM gone`,
        [projectId, id, ms(now)],
      )) > 0
    );
  }
}
