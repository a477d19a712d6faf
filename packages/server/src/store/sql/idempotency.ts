import type { IdempotencyClaim, IdempotencyRecord } from "../../core/idempotency.js";
import { claimParams, toIdempotencyRecord, type IdempotencyRow } from "../idempotency-rows.js";
import type { IdempotencyStore } from "../store.js";
import { ms, type SqlDb } from "./db.js";

export class SqlIdempotency implements IdempotencyStore {
  constructor(private readonly db: SqlDb) {}

  /**
   * The upsert takes the key, or leaves the row alone and returns nothing; then the row is read. Between the
   * two its holder may have released it: then the key is free, and the upsert runs again.
   */
  async claim(claim: IdempotencyClaim, now: number): Promise<IdempotencyRecord | undefined> {
    for (;;) {
      const taken = await this.db.first<{ owner: string }>(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, owner, locked_until, created_at, expires_at)
         VALUES (:scope, :key, :fingerprint, :owner, :locked_until, :created_at, :expires_at)
         ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, owner = excluded.owner, response = NULL,
           locked_until = excluded.locked_until, created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= :now OR (idempotency_keys.response IS NULL AND idempotency_keys.locked_until <= :now)
         RETURNING owner`,
        { ...claimParams(claim), now: ms(now) },
      );
      if (taken !== undefined) return undefined;
      const held = await this.get(claim.scope, claim.key);
      if (held !== undefined) return held;
    }
  }

  async get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = await this.db.first<IdempotencyRow>(
      "SELECT * FROM idempotency_keys WHERE scope = :scope AND key = :key",
      { scope, key },
    );
    return row && toIdempotencyRecord(row);
  }

  async renew(scope: string, key: string, owner: string, lockedUntil: number): Promise<boolean> {
    return (
      (await this.db.run(
        `UPDATE idempotency_keys SET locked_until = :lockedUntil
         WHERE scope = :scope AND key = :key AND owner = :owner AND response IS NULL`,
        { scope, key, owner, lockedUntil: ms(lockedUntil) },
      )) > 0
    );
  }

  async complete(scope: string, key: string, owner: string, sealedResponse: string): Promise<boolean> {
    return (
      (await this.db.run(
        `UPDATE idempotency_keys SET response = :sealedResponse, locked_until = NULL
         WHERE scope = :scope AND key = :key AND owner = :owner AND response IS NULL`,
        { scope, key, owner, sealedResponse },
      )) > 0
    );
  }

  async release(scope: string, key: string, owner: string): Promise<boolean> {
    return (
      (await this.db.run(
        "DELETE FROM idempotency_keys WHERE scope = :scope AND key = :key AND owner = :owner AND response IS NULL",
        { scope, key, owner },
      )) > 0
    );
  }

  /** The oldest expired keys, skipping those another sweep holds (Dialect.skipLocked). */
  deleteExpired(before: number, limit: number): Promise<number> {
    return this.db.run(
      `DELETE FROM idempotency_keys WHERE (scope, key) IN
         (SELECT scope, key FROM idempotency_keys WHERE expires_at < :before ORDER BY expires_at LIMIT :limit
          ${this.db.dialect.skipLocked})`,
      { before: ms(before), limit },
    );
  }
}
