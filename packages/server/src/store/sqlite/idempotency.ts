import type { IdempotencyClaim, IdempotencyRecord } from "../../core/idempotency.js";
import { claimValues, toIdempotencyRecord, type IdempotencyRow } from "../idempotency-rows.js";
import type { IdempotencyStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteIdempotency extends SqliteAggregate implements IdempotencyStore {
  claim(claim: IdempotencyClaim, now: number): Promise<IdempotencyRecord | undefined> {
    return this.atomically(() => {
      const taken = this.statement(
        `INSERT INTO idempotency_keys (scope, key, fingerprint, owner, locked_until, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, owner = excluded.owner, response = NULL,
           locked_until = excluded.locked_until, created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= ? OR (idempotency_keys.response IS NULL AND idempotency_keys.locked_until <= ?)`,
      ).run(...claimValues(claim), now, now);
      if (taken.changes > 0) return undefined;
      return this.read(claim.scope, claim.key);
    });
  }

  get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.run(() => this.read(scope, key));
  }

  renew(scope: string, key: string, owner: string, lockedUntil: number): Promise<boolean> {
    return this.run(
      () =>
        this.statement(
          "UPDATE idempotency_keys SET locked_until = ? WHERE scope = ? AND key = ? AND owner = ? AND response IS NULL",
        ).run(lockedUntil, scope, key, owner).changes > 0,
    );
  }

  complete(scope: string, key: string, owner: string, sealedResponse: string): Promise<boolean> {
    return this.run(
      () =>
        this.statement(
          "UPDATE idempotency_keys SET response = ?, locked_until = NULL WHERE scope = ? AND key = ? AND owner = ? AND response IS NULL",
        ).run(sealedResponse, scope, key, owner).changes > 0,
    );
  }

  release(scope: string, key: string, owner: string): Promise<boolean> {
    return this.run(
      () =>
        this.statement(
          "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND owner = ? AND response IS NULL",
        ).run(scope, key, owner).changes > 0,
    );
  }

  deleteExpired(before: number, limit: number): Promise<number> {
    return this.run(
      () =>
        this.statement(
          `DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`,
        ).run(before, limit).changes,
    );
  }

  private read(scope: string, key: string): IdempotencyRecord | undefined {
    const row = this.statement("SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?").get(scope, key) as
      | IdempotencyRow
      | undefined;
    return row && toIdempotencyRecord(row);
  }
}
