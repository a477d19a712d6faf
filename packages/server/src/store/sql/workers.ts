import { endpointKey } from "../../core/fanout.js";
import { routingOf } from "./deliveries.js";
import type { WorkerStore } from "../store.js";
import { num, optNum, type SqlDb } from "./db.js";

/**
 * Workers and failover (docs/store.md). A worker's row says until when it is alive, and from which key on its
 * born-leased deliveries lie (they were written after that, so keys being given in order, they are found by one
 * range of the deliveries' primary key, with no index of their own).
 */
export class SqlWorkers implements WorkerStore {
  constructor(
    private readonly db: SqlDb,
    /**
     * Called inside the transaction that queues deliveries: PostgreSQL wakes the other processes' engines at commit.
     */
    private readonly onQueued: (db: SqlDb) => Promise<void> = async () => {},
  ) {}

  async register(name: string, aliveUntil: number): Promise<number> {
    const row = await this.db.first<{ id: number | string }>(
      "INSERT INTO workers (name, alive_until, version) VALUES (:name, :aliveUntil, 0) RETURNING id",
      {
        name,
        aliveUntil,
      },
    );
    return num(row?.id);
  }

  async renew(
    id: number,
    aliveUntil: number,
    cover?: { from: number | null; version: number },
  ): Promise<{ alive: boolean; version: number; covered: boolean }> {
    const row = await this.db.first<{ version: number | string }>(
      `UPDATE workers SET alive_until = :aliveUntil, covered_from = CASE WHEN :cover = 1 AND version = :version THEN :from ELSE covered_from END
       WHERE id = :id RETURNING version`,
      { id, aliveUntil, cover: cover === undefined ? 0 : 1, version: cover?.version ?? 0, from: cover?.from ?? null },
    );
    if (row === undefined) return { alive: false, version: 0, covered: false };
    const version = num(row.version);
    return { alive: true, version, covered: cover !== undefined && version === cover.version };
  }

  async reap(now: number, survivor?: number): Promise<number> {
    const dead = await this.db.all<{ id: number | string }>(
      survivor === undefined
        ? "SELECT id FROM workers WHERE alive_until <= :now"
        : "SELECT id FROM workers WHERE id <> :survivor",
      { now, survivor },
    );
    let queued = 0;
    for (const { id } of dead)
      queued += await this.forget(num(id), now, survivor === undefined ? "AND alive_until <= :now" : "");
    return queued;
  }

  retire(id: number, now: number): Promise<number> {
    return this.forget(id, now, "");
  }

  /**
   * Deletes the worker's row (`condition` re-checked, so of two processes reaping it at once one does it) and
   * queues what it held, due at once: born-leased deliveries from its covered key on, and claimed ones unlocked.
   * Each keeps the time it was first due (a born-leased one: its creation), so it goes ahead of what its endpoint
   * queued since instead of waiting behind that backlog (docs/store.md, "Leases and failover").
   */
  private forget(id: number, now: number, condition: string): Promise<number> {
    return this.db.atomically(async (db) => {
      const row = await db.first<{ covered_from: number | string | null }>(
        `DELETE FROM workers WHERE id = :id ${condition} RETURNING covered_from`,
        {
          id,
          now,
        },
      );
      if (row === undefined) return 0;
      let queued = await db.run(
        "UPDATE delivery_queue SET locked_by = NULL, due_at = CASE WHEN due_at < :now THEN due_at ELSE :now END WHERE locked_by = :id",
        { id, now },
      );
      const from = optNum(row.covered_from);
      if (from !== undefined) {
        const held = await db.all<{
          key: number | string;
          created_at: number | string;
          webhook_id: string | null;
          uri: string | null;
          ordering: string | null;
          rate_limit_per_second: number | string | null;
        }>(
          `SELECT d.key, d.created_at, COALESCE(w.id, dw.id) AS webhook_id, d.uri, w.ordering, w.rate_limit_per_second FROM deliveries d
           LEFT JOIN webhooks w ON w.key = d.webhook_key LEFT JOIN deleted_webhooks dw ON dw.key = d.webhook_key
           WHERE d.key >= :from AND d.locked_by = :id AND d.state = 'pending'`,
          { from, id },
        );
        const keys = held.map((h) => num(h.key));
        if (keys.length > 0)
          await db.run(`UPDATE deliveries SET locked_by = NULL WHERE ${db.dialect.inList("key", "keys", "bigint")}`, {
            keys,
          });
        await db.insertRows(
          "delivery_queue",
          [
            { name: "delivery_key", type: "bigint" },
            { name: "endpoint", type: "text" },
            { name: "due_at", type: "bigint" },
          ],
          held.map((h) => [
            num(h.key),
            endpointKey(h.webhook_id ?? undefined, h.uri ?? "", routingOf(h)),
            Math.min(num(h.created_at), now),
          ]),
          "ON CONFLICT (delivery_key) DO UPDATE SET locked_by = NULL, due_at = excluded.due_at",
        );
        queued += held.length;
      }
      if (queued > 0) await this.onQueued(db);
      return queued;
    });
  }
}
