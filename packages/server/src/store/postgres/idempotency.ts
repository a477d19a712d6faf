import type { IdempotencyClaim, IdempotencyRecord } from "../../core/idempotency.js";
import { claimValues, toIdempotencyRecord, type IdempotencyRow } from "../idempotency-rows.js";
import type { IdempotencyStore } from "../store.js";
import { ms, type PgExecutor } from "./executor.js";

export class PgIdempotency implements IdempotencyStore {
  constructor(private readonly db: PgExecutor) {}

  /**
   * The upsert takes the key, or leaves the row alone and returns nothing; then the row is read. Between the
   * two its holder may have released it: then the key is free, and the upsert runs again.
   */
  async claim(claim: IdempotencyClaim, now: number): Promise<IdempotencyRecord | undefined> {
    for (;;) {
      const taken = await this.db.first<{ owner: string }>(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, owner, locked_until, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, owner = excluded.owner, response = NULL,
           locked_until = excluded.locked_until, created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= $8 OR (idempotency_keys.response IS NULL AND idempotency_keys.locked_until <= $8)
         RETURNING owner`,
        [...claimValues(claim), ms(now)],
      );
      if (taken !== undefined) return undefined;
      const held = await this.get(claim.scope, claim.key);
      if (held !== undefined) return held;
    }
  }

  async get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const row = await this.db.first<IdempotencyRow>("SELECT * FROM idempotency_keys WHERE scope = $1 AND key = $2", [
      scope,
      key,
    ]);
    return row && toIdempotencyRecord(row);
  }

  async renew(scope: string, key: string, owner: string, lockedUntil: number): Promise<boolean> {
    return (
      (await this.db.count(
        "UPDATE idempotency_keys SET locked_until = $4 WHERE scope = $1 AND key = $2 AND owner = $3 AND response IS NULL",
        [scope, key, owner, ms(lockedUntil)],
      )) > 0
    );
  }

  async complete(scope: string, key: string, owner: string, sealedResponse: string): Promise<boolean> {
    return (
      (await this.db.count(
        "UPDATE idempotency_keys SET response = $4, locked_until = NULL WHERE scope = $1 AND key = $2 AND owner = $3 AND response IS NULL",
        [scope, key, owner, sealedResponse],
      )) > 0
    );
  }

  async release(scope: string, key: string, owner: string): Promise<boolean> {
    return (
      (await this.db.count(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND owner = $3 AND response IS NULL",
        [scope, key, owner],
      )) > 0
    );
  }

  deleteExpired(before: number, limit: number): Promise<number> {
    return this.db.count(
      `DELETE FROM idempotency_keys WHERE (scope, key) IN
         (SELECT scope, key FROM idempotency_keys WHERE expires_at < $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [ms(before), limit],
    );
  }
}
