import Database from "better-sqlite3";
import type { Batch, BatchLine } from "../../core/batches.js";
import type { Attempt, Delivery } from "../../core/deliveries.js";
import type { EventTarget, StoredEvent } from "../../core/events.js";
import { planDeliveries, type NewDelivery } from "../../core/fanout.js";
import type { Operation } from "../../core/operations.js";
import { toPage, type Page, type PageRequest } from "../../core/pages.js";
import type { Project } from "../../core/projects.js";
import type { WebhookState } from "../../core/webhooks.js";
import {
  attemptParams, batchParams, bornLeased, eventParams, operationParams, toAttempt, toBatch, toBatchLine, toDelivery, toEvent, toOperation, toProject, toSigningKey, toWebhook,
  webhookParams, type AttemptRow, type BatchLineRow, type BatchRow, type DeliveryRow, type EventRow, type OperationRow, type ProjectRow, type SigningKeyRow,
  type WebhookRow,
} from "../rows.js";
import type {
  AttemptOutcome, ClaimedDelivery, DecideBatchFinish, DecideFinish, DeliveryFilter, EventFilter, SigningKeyRecord, Store, WebhookRecord,
  WebhookToDisable,
} from "../store.js";
import { Checkpointer } from "./checkpointer.js";
import { SQLITE_SCHEMA } from "./schema.js";
import type { FileStore } from "../file-store.js";
import { SQLITE_FILES_SCHEMA, SqliteFileStore } from "./file-store.js";

type ClaimRow = DeliveryRow & { body: string; sealed_secrets: string | null };

/** "No limit" for SQL parameters that must be numbers. */
const MAX_INT = 2 ** 31 - 1;

/**
 * The embedded driver. better-sqlite3 is synchronous; the Promise interface is kept so that the PostgreSQL
 * driver drops in unchanged. WAL mode lets the API read while the delivery engine writes.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  readonly files: FileStore;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly checkpointer: Checkpointer;

  /**
   * `synchronous` NORMAL (the default) survives a crash of the process, which is what the at-least-once tests
   * prove; FULL also survives an OS crash or power loss, at the price of an fsync per commit.
   */
  constructor(path: string, synchronous: "normal" | "full" = "normal") {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("wal_autocheckpoint = 0");
    this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    this.db.exec(SQLITE_SCHEMA);
    this.db.exec(SQLITE_FILES_SCHEMA);
    this.files = new SqliteFileStore(this.db);
    this.checkpointer = new Checkpointer(path);
  }

  async close(): Promise<void> {
    await this.checkpointer.stop();
    this.db.close();
  }

  /** Compiling SQL costs more than running these small statements: compile each text once. */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async createProject(p: Project): Promise<void> {
    this
        .statement("INSERT INTO projects (id, display_name, is_default, created_at) VALUES (?, ?, ?, ?)")
      .run(p.id, p.displayName, p.isDefault ? 1 : 0, p.createdAt);
  }

  async getProject(id: string): Promise<Project | undefined> {
    const row = this.statement("SELECT * FROM projects WHERE id = ?").get(id) as ProjectRow | undefined;
    return row && toProject(row);
  }

  async getDefaultProject(): Promise<Project | undefined> {
    const row = this.statement("SELECT * FROM projects WHERE is_default = 1").get() as ProjectRow | undefined;
    return row && toProject(row);
  }

  async addApiKey(projectId: string, keyHash: string, now: number): Promise<void> {
    this
        .statement("INSERT INTO api_keys (key_hash, project_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING")
      .run(keyHash, projectId, now);
  }

  async projectIdForKeyHash(keyHash: string): Promise<string | undefined> {
    const row = this.statement("SELECT project_id FROM api_keys WHERE key_hash = ?").get(keyHash) as { project_id: string } | undefined;
    return row?.project_id;
  }

  async insertWebhook(w: WebhookRecord): Promise<void> {
    this
        .statement(
        `INSERT INTO webhooks (id, project_id, name, uri, subscribed_events, state, sealed_secrets, created_at, updated_at, last_success_at)
         VALUES (@id, @project_id, @name, @uri, @subscribed_events, @state, @sealed_secrets, @created_at, @updated_at, @last_success_at)`,
      )
      .run(webhookParams(w));
  }

  async getWebhook(projectId: string, id: string): Promise<WebhookRecord | undefined> {
    const row = this.statement("SELECT * FROM webhooks WHERE project_id = ? AND id = ?").get(projectId, id) as WebhookRow | undefined;
    return row && toWebhook(row);
  }

  async listWebhooks(projectId: string, page: PageRequest): Promise<Page<WebhookRecord>> {
    const rows = this
        .statement("SELECT * FROM webhooks WHERE project_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?")
      .all(projectId, page.pageSize + 1, page.offset) as WebhookRow[];
    return toPage(rows.map(toWebhook), page);
  }

  async updateWebhook(w: WebhookRecord): Promise<void> {
    this
        .statement(
        `UPDATE webhooks SET name = @name, uri = @uri, subscribed_events = @subscribed_events, state = @state,
         sealed_secrets = @sealed_secrets, updated_at = @updated_at, last_success_at = @last_success_at
         WHERE project_id = @project_id AND id = @id`,
      )
      .run(webhookParams(w));
  }

  async deleteWebhook(projectId: string, id: string): Promise<boolean> {
    return this.db.transaction(() => {
      const deleted = this.statement("DELETE FROM webhooks WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0;
      if (deleted) this.failPendingDeliveries(id, "the webhook was deleted", Date.now());
      return deleted;
    })();
  }

  async disableWebhook(projectId: string, id: string, state: WebhookState, event: StoredEvent, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this
        .statement("UPDATE webhooks SET state = ?, updated_at = ? WHERE project_id = ? AND id = ? AND state = 'enabled'")
        .run(state, now, projectId, id).changes > 0;
      if (!changed) return false;
      this.failPendingDeliveries(id, `the webhook was disabled (${state})`, now);
      this.insertEventWithDeliveries(event, { kind: "subscribers", excludeWebhookId: id }, now);
      return true;
    })();
  }

  private failPendingDeliveries(webhookId: string, reason: string, now: number): void {
    this
        .statement("UPDATE deliveries SET state = 'failed', leased = 0, last_error = ?, updated_at = ? WHERE webhook_id = ? AND state = 'pending'")
      .run(reason, now, webhookId);
  }

  async insertOperation(o: Operation): Promise<void> {
    this
        .statement(
        `INSERT INTO operations (id, project_id, type, state, metadata, webhook_config, response, output_file_uri, error, expire_at, created_at, updated_at)
         VALUES (@id, @project_id, @type, @state, @metadata, @webhook_config, @response, @output_file_uri, @error, @expire_at, @created_at, @updated_at)`,
      )
      .run(operationParams(o));
  }

  async getOperation(projectId: string, id: string): Promise<Operation | undefined> {
    const row = this.statement("SELECT * FROM operations WHERE project_id = ? AND id = ?").get(projectId, id) as OperationRow | undefined;
    return row && toOperation(row);
  }

  async listOperations(projectId: string, filter: { done?: boolean; type?: string }, page: PageRequest): Promise<Page<Operation>> {
    const rows = this
        .statement(
        `SELECT * FROM operations WHERE project_id = @project_id
         AND (@done IS NULL OR (state <> 'running') = @done) AND (@type IS NULL OR type = @type)
         ORDER BY created_at, id LIMIT @limit OFFSET @offset`,
      )
      .all({
        project_id: projectId,
        done: filter.done === undefined ? null : filter.done ? 1 : 0,
        type: filter.type ?? null,
        limit: page.pageSize + 1,
        offset: page.offset,
      }) as OperationRow[];
    return toPage(rows.map(toOperation), page);
  }

  async finishOperation(projectId: string, id: string, decide: DecideFinish, now: number, leaseUntil?: number) {
    return this.db.transaction(() => {
      const row = this.statement("SELECT * FROM operations WHERE project_id = ? AND id = ?").get(projectId, id) as OperationRow | undefined;
      if (!row) return undefined;
      const { operation, event } = decide(toOperation(row));
      this
        .statement(
          `UPDATE operations SET state = @state, response = @response, output_file_uri = @output_file_uri, error = @error,
           updated_at = @updated_at WHERE id = @id`,
        )
        .run(operationParams(operation));
      const target: EventTarget = operation.webhookConfig ? { kind: "uris", uris: operation.webhookConfig.uris } : { kind: "subscribers" };
      const { leased } = this.insertEventWithDeliveries(event, target, now, leaseUntil);
      return { operation, event, deliveries: leased };
    })();
  }

  async listExpiredOperations(now: number, limit: number): Promise<Operation[]> {
    const rows = this
        .statement("SELECT * FROM operations WHERE state = 'running' AND expire_at IS NOT NULL AND expire_at <= ? ORDER BY expire_at LIMIT ?")
      .all(now, limit) as OperationRow[];
    return rows.map(toOperation);
  }

  async nextExpireAt(): Promise<number | undefined> {
    const row = this
        .statement("SELECT MIN(expire_at) AS at FROM operations WHERE state = 'running' AND expire_at IS NOT NULL")
      .get() as { at: number | null };
    return row.at ?? undefined;
  }

  async publishEvent(event: StoredEvent, target: EventTarget, now: number): Promise<number> {
    return this.db.transaction(() => this.insertEventWithDeliveries(event, target, now).count)();
  }

  private insertEventWithDeliveries(event: StoredEvent, target: EventTarget, now: number, leaseUntil?: number): { count: number; leased: ClaimedDelivery[] } {
    this
        .statement("INSERT INTO events (id, project_id, type, operation, payload, created_at) VALUES (@id, @project_id, @type, @operation, @payload, @created_at)")
      .run(eventParams(event));
    const webhooks = this.webhooksForTarget(event.projectId, target);
    const planned = planDeliveries(event, target, webhooks, now, leaseUntil);
    this.insertDeliveries(planned);
    return { count: planned.length, leased: bornLeased(planned, event, webhooks, now) };
  }

  private webhooksForTarget(projectId: string, target: EventTarget) {
    if (target.kind === "uris") return [];
    const rows = (
      target.kind === "webhook"
        ? this.statement("SELECT * FROM webhooks WHERE project_id = ? AND id = ?").all(projectId, target.webhookId)
        : this.statement("SELECT * FROM webhooks WHERE project_id = ? AND state = 'enabled'").all(projectId)
    ) as WebhookRow[];
    return rows.map(toWebhook);
  }

  private insertDeliveries(deliveries: NewDelivery[]): number {
    const insert = this.statement(
      `INSERT INTO deliveries (id, project_id, event_id, webhook_id, uri, endpoint_key, state, attempt_count, next_attempt_at, leased, window_start_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`,
    );
    for (const d of deliveries) {
      insert.run(d.id, d.projectId, d.eventId, d.webhookId ?? null, d.uri, d.endpointKey, d.nextAttemptAt, d.leased ? 1 : 0, d.windowStartAt, d.createdAt, d.updatedAt);
    }
    return deliveries.length;
  }

  async getEvent(projectId: string, id: string): Promise<StoredEvent | undefined> {
    const row = this.statement("SELECT * FROM events WHERE project_id = ? AND id = ?").get(projectId, id) as EventRow | undefined;
    return row && toEvent(row);
  }

  async listEvents(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    const rows = this
        .statement(
        `SELECT * FROM events WHERE project_id = @project_id AND (@type IS NULL OR type = @type)
         AND (@operation IS NULL OR operation = @operation) ORDER BY created_at, id LIMIT @limit OFFSET @offset`,
      )
      .all({ project_id: projectId, type: filter.type ?? null, operation: filter.operation ?? null, limit: page.pageSize + 1, offset: page.offset }) as EventRow[];
    return toPage(rows.map(toEvent), page);
  }

  async redeliverEvent(projectId: string, eventId: string, webhookId: string | undefined, now: number): Promise<number> {
    return this.db.transaction(() => {
      const row = this.statement("SELECT * FROM events WHERE project_id = ? AND id = ?").get(projectId, eventId) as EventRow | undefined;
      if (!row) return 0;
      const event = toEvent(row);
      let target: EventTarget;
      if (webhookId !== undefined) {
        target = { kind: "webhook", webhookId };
      } else {
        const previous = this.statement("SELECT DISTINCT webhook_id, uri FROM deliveries WHERE event_id = ?").all(eventId) as { webhook_id: string | null; uri: string }[];
        const uris = previous.filter((d) => d.webhook_id === null).map((d) => d.uri);
        const webhookIds = new Set(previous.flatMap((d) => (d.webhook_id === null ? [] : [d.webhook_id])));
        const statics = this.webhooksForTarget(projectId, { kind: "subscribers" }).filter((w) => webhookIds.has(w.id));
        return (
          this.insertDeliveries(planDeliveries(event, { kind: "uris", uris }, [], now)) +
          this.insertDeliveries(statics.flatMap((w) => planDeliveries(event, { kind: "webhook", webhookId: w.id }, [w], now)))
        );
      }
      return this.insertDeliveries(planDeliveries(event, target, this.webhooksForTarget(projectId, target), now));
    })();
  }

  async claimDueDeliveries(now: number, leaseUntil: number, limit: number, skipEndpoints: readonly string[], perEndpointLimit = MAX_INT): Promise<ClaimedDelivery[]> {
    return this.db.transaction(() => {
      // The usual case skips nothing: keep json_each out of that query.
      const skip = skipEndpoints.length === 0 ? "" : "AND endpoint_key NOT IN (SELECT value FROM json_each(@skip))";
      const rows = this.statement(
        `SELECT d.*, e.payload AS body, w.sealed_secrets FROM (
           SELECT id, ROW_NUMBER() OVER (PARTITION BY endpoint_key ORDER BY next_attempt_at, id) AS rank
           FROM deliveries WHERE state = 'pending' AND next_attempt_at <= @now ${skip}
         ) due
         JOIN deliveries d ON d.id = due.id JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id
         WHERE due.rank <= @per_endpoint ORDER BY d.next_attempt_at, d.id LIMIT @limit`,
      ).all({ now, limit, per_endpoint: perEndpointLimit, ...(skipEndpoints.length === 0 ? {} : { skip: JSON.stringify(skipEndpoints) }) }) as ClaimRow[];
      const lease = this.statement("UPDATE deliveries SET next_attempt_at = ?, leased = 1 WHERE id = ?");
      for (const row of rows) lease.run(leaseUntil, row.id);
      return rows.map((row) => ({
        ...toDelivery(row),
        body: row.body,
        sealedSecrets: row.sealed_secrets ?? undefined,
        endpointKey: row.endpoint_key,
      }));
    })();
  }

  async recordAttempts(outcomes: readonly AttemptOutcome[], now: number, windowMs: number): Promise<WebhookToDisable[]> {
    return this.db.transaction(() => {
      const insertAttempt = this.statement(
        `INSERT OR REPLACE INTO attempts (delivery_id, attempt_number, started_at, status_code, latency_ms, error, response_excerpt, request_headers)
         VALUES (@delivery_id, @attempt_number, @started_at, @status_code, @latency_ms, @error, @response_excerpt, @request_headers)`,
      );
      const settle = this.statement(
        `UPDATE deliveries SET state = ?, attempt_count = ?, next_attempt_at = ?, leased = 0, last_error = ?, last_status_code = ?, updated_at = ?
         WHERE id = ? AND state = 'pending'`,
      );
      const markSuccess = this.statement("UPDATE webhooks SET last_success_at = ? WHERE id = ?");
      const webhookRow = this.statement("SELECT * FROM webhooks WHERE id = ? AND state = 'enabled'");
      const toDisable = new Map<string, WebhookToDisable>();
      for (const { delivery, attempt, verdict } of outcomes) {
        insertAttempt.run(attemptParams(attempt));
        const state = verdict.kind === "succeeded" ? "succeeded" : verdict.kind === "retry" ? "pending" : "failed";
        const error = verdict.kind === "succeeded" ? null : verdict.kind === "gone" ? "HTTP 410 Gone" : verdict.error;
        const nextAt = verdict.kind === "retry" ? verdict.at : now;
        settle.run(state, attempt.attemptNumber, nextAt, error, attempt.statusCode ?? null, now, delivery.id);
        if (delivery.webhookId === undefined) continue;
        if (verdict.kind === "succeeded") {
          markSuccess.run(now, delivery.webhookId);
          continue;
        }
        const row = webhookRow.get(delivery.webhookId) as WebhookRow | undefined;
        if (!row) continue;
        const webhook = toWebhook(row);
        if (verdict.kind === "gone") {
          toDisable.set(webhook.id, { projectId: webhook.projectId, webhookId: webhook.id, state: "disabled", reason: "the endpoint answered 410 Gone" });
        } else if (verdict.kind === "failed" && (webhook.lastSuccessAt ?? webhook.createdAt) <= now - windowMs) {
          toDisable.set(webhook.id, {
            projectId: webhook.projectId,
            webhookId: webhook.id,
            state: "disabled_due_to_failed_deliveries",
            reason: "no successful delivery for 24 hours and deliveries exhausted their retries",
          });
        }
      }
      return [...toDisable.values()];
    })();
  }

  async releaseLeases(now: number): Promise<number> {
    return this.db.transaction(() => {
      this.statement("UPDATE batches SET lease_until = NULL WHERE lease_until IS NOT NULL").run();
      return this.statement("UPDATE deliveries SET next_attempt_at = ?, leased = 0 WHERE state = 'pending' AND leased = 1").run(now).changes;
    })();
  }

  async nextDueAt(): Promise<number | undefined> {
    const row = this.statement("SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE state = 'pending'").get() as { at: number | null };
    return row.at ?? undefined;
  }

  async listDeliveries(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery & { attempts: Attempt[] }>> {
    const rows = this
        .statement(
        `SELECT * FROM deliveries WHERE project_id = @project_id AND (@webhook_id IS NULL OR webhook_id = @webhook_id)
         AND (@event_id IS NULL OR event_id = @event_id) AND (@state IS NULL OR state = @state)
         ORDER BY created_at, id LIMIT @limit OFFSET @offset`,
      )
      .all({
        project_id: projectId,
        webhook_id: filter.webhookId ?? null,
        event_id: filter.eventId ?? null,
        state: filter.state ?? null,
        limit: page.pageSize + 1,
        offset: page.offset,
      }) as DeliveryRow[];
    const attemptsOf = this.statement("SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt_number");
    const withAttempts = rows.map((row) => ({
      ...toDelivery(row),
      attempts: (attemptsOf.all(row.id) as AttemptRow[]).map(toAttempt),
    }));
    return toPage(withAttempts, page);
  }

  async recoverDeliveries(projectId: string, webhookId: string, since: number, until: number, now: number): Promise<number> {
    return this
        .statement(
        `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, window_start_at = ?, updated_at = ?
         WHERE project_id = ? AND webhook_id = ? AND state = 'failed' AND created_at >= ? AND created_at < ?`,
      )
      .run(now, now, now, projectId, webhookId, since, until).changes;
  }

  async insertBatch(batch: Batch, lines: readonly BatchLine[]): Promise<void> {
    this.db.transaction(() => {
      this
        .statement(
          `INSERT INTO batches (id, project_id, display_name, model, state, input_file, request_count, successful_request_count,
           failed_request_count, webhook_config, output_file, error, deadline_at, created_at, updated_at, ended_at)
           VALUES (@id, @project_id, @display_name, @model, @state, @input_file, @request_count, @successful_request_count,
           @failed_request_count, @webhook_config, @output_file, @error, @deadline_at, @created_at, @updated_at, @ended_at)`,
        )
        .run(batchParams(batch));
      const insert = this.statement("INSERT INTO batch_lines (batch_id, line_index, key, request, state, result) VALUES (?, ?, ?, ?, ?, ?)");
      for (const line of lines) insert.run(batch.id, line.index, line.key, line.request ?? null, line.state, line.result ?? null);
    })();
  }

  async getBatch(projectId: string, id: string): Promise<Batch | undefined> {
    const row = this.statement("SELECT * FROM batches WHERE project_id = ? AND id = ?").get(projectId, id) as BatchRow | undefined;
    return row && toBatch(row);
  }

  async listBatches(projectId: string, page: PageRequest): Promise<Page<Batch>> {
    const rows = this
        .statement("SELECT * FROM batches WHERE project_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?")
      .all(projectId, page.pageSize + 1, page.offset) as BatchRow[];
    return toPage(rows.map(toBatch), page);
  }

  async deleteBatch(projectId: string, id: string): Promise<boolean> {
    return this.statement("DELETE FROM batches WHERE project_id = ? AND id = ?").run(projectId, id).changes > 0;
  }

  async claimBatch(now: number, leaseUntil: number): Promise<Batch | undefined> {
    return this.db.transaction(() => {
      const row = this
        .statement(
          `SELECT * FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING')
           AND (lease_until IS NULL OR lease_until < ?) ORDER BY created_at LIMIT 1`,
        )
        .get(now) as BatchRow | undefined;
      if (!row) return undefined;
      this
        .statement("UPDATE batches SET state = 'BATCH_STATE_RUNNING', lease_until = ?, updated_at = ? WHERE id = ?")
        .run(leaseUntil, now, row.id);
      return { ...toBatch(row), state: "BATCH_STATE_RUNNING" as const, updatedAt: now };
    })();
  }

  async renewBatchLease(id: string, leaseUntil: number): Promise<void> {
    this.statement("UPDATE batches SET lease_until = ? WHERE id = ?").run(leaseUntil, id);
  }

  async pendingBatchLines(batchId: string, limit: number): Promise<BatchLine[]> {
    const rows = this
        .statement("SELECT * FROM batch_lines WHERE batch_id = ? AND state = 'pending' ORDER BY line_index LIMIT ?")
      .all(batchId, limit) as BatchLineRow[];
    return rows.map(toBatchLine);
  }

  async recordBatchLines(batchId: string, lines: readonly BatchLine[], now: number): Promise<void> {
    this.db.transaction(() => {
      const settle = this.statement("UPDATE batch_lines SET state = ?, result = ? WHERE batch_id = ? AND line_index = ? AND state = 'pending'");
      let succeeded = 0;
      let failed = 0;
      for (const line of lines) {
        if (settle.run(line.state, line.result ?? null, batchId, line.index).changes === 0) continue;
        if (line.state === "succeeded") succeeded++;
        else failed++;
      }
      this
        .statement(
          `UPDATE batches SET successful_request_count = successful_request_count + ?, failed_request_count = failed_request_count + ?,
           updated_at = ? WHERE id = ?`,
        )
        .run(succeeded, failed, now, batchId);
    })();
  }

  async batchLines(batchId: string): Promise<BatchLine[]> {
    const rows = this.statement("SELECT * FROM batch_lines WHERE batch_id = ? ORDER BY line_index").all(batchId) as BatchLineRow[];
    return rows.map(toBatchLine);
  }

  async finishBatch(projectId: string, id: string, decide: DecideBatchFinish, now: number) {
    return this.db.transaction(() => {
      const row = this.statement("SELECT * FROM batches WHERE project_id = ? AND id = ?").get(projectId, id) as BatchRow | undefined;
      if (!row) return undefined;
      const { batch, event } = decide(toBatch(row));
      this
        .statement(
          `UPDATE batches SET state = @state, output_file = @output_file, error = @error, updated_at = @updated_at,
           ended_at = @ended_at, lease_until = NULL WHERE id = @id`,
        )
        .run(batchParams(batch));
      const target: EventTarget = batch.webhookConfig ? { kind: "uris", uris: batch.webhookConfig.uris } : { kind: "subscribers" };
      this.insertEventWithDeliveries(event, target, now);
      return { batch, event };
    })();
  }

  async listExpiredBatches(now: number, limit: number): Promise<Batch[]> {
    const rows = this
        .statement(
        `SELECT * FROM batches WHERE state IN ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING') AND deadline_at <= ?
         ORDER BY deadline_at LIMIT ?`,
      )
      .all(now, limit) as BatchRow[];
    return rows.map(toBatch);
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const rows = this.statement("SELECT * FROM signing_keys ORDER BY created_at DESC, kid").all() as SigningKeyRow[];
    return rows.map(toSigningKey);
  }

  async addSigningKey(key: SigningKeyRecord, now: number): Promise<void> {
    this.db.transaction(() => {
      this.statement("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL").run(now);
      this
        .statement("INSERT INTO signing_keys (kid, public_jwk, sealed_private_jwk, created_at) VALUES (?, ?, ?, ?)")
        .run(key.kid, JSON.stringify(key.publicJwk), key.sealedPrivateJwk, key.createdAt);
    })();
  }
}
