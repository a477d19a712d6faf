import type { LeaseRows } from "../store.js";
import { ms, type SqlDb } from "./db.js";
import { ProjectTable, type ProjectTableOf } from "./project-table.js";

/** Which rows of a table of leased work a runner may take. */
export interface LeasesOf {
  /** The rows a runner may hold: their leases may be renewed. */
  renewable: string;
  /** Added to `renewable` for the rows a claim may take (`:now` is bound). */
  runnable?: string;
  /** Set on the row a claim takes, besides its lease (`:now` is bound). */
  onClaim?: string;
}

/**
 * The run leases of batches, interactions and videos (docs/store.md: leases and failover), whose stores extend it: a
 * claim is one statement that leases the oldest runnable row nobody holds (Dialect.skipLocked).
 */
export class LeasedTable<Row, T> extends ProjectTable<Row, T> implements LeaseRows<T> {
  constructor(
    db: SqlDb,
    private readonly rows: ProjectTableOf<Row, T>,
    private readonly leases: LeasesOf,
  ) {
    super(db, rows);
  }

  async claim(now: number, leaseUntil: number): Promise<T | undefined> {
    const { renewable, runnable, onClaim } = this.leases;
    const { table } = this.rows;
    const row = await this.db.first<Row>(
      `UPDATE ${table} SET lease_until = :leaseUntil${onClaim !== undefined ? `, ${onClaim}` : ""}
       WHERE id = (SELECT id FROM ${table} WHERE ${renewable}${runnable !== undefined ? ` AND ${runnable}` : ""}
                   AND (lease_until IS NULL OR lease_until < :now) ORDER BY created_at LIMIT 1 ${this.db.dialect.skipLocked})
       RETURNING *`,
      { now: ms(now), leaseUntil: ms(leaseUntil) },
    );
    return row && this.rows.toItem(row);
  }

  async renewLease(id: string, leaseUntil: number): Promise<boolean> {
    const renewed = await this.db.run(
      `UPDATE ${this.rows.table} SET lease_until = :leaseUntil WHERE id = :id AND ${this.leases.renewable}`,
      { id, leaseUntil: ms(leaseUntil) },
    );
    return renewed > 0;
  }

  releaseAll(): Promise<number> {
    return this.db.run(`UPDATE ${this.rows.table} SET lease_until = NULL WHERE lease_until IS NOT NULL`);
  }
}
