import { toSigningKey, type SigningKeyRow } from "../rows.js";
import type { SigningKeyRecord, SigningKeyStore } from "../store.js";
import { ms, type PgExecutor } from "./executor.js";

export class PgSigningKeys implements SigningKeyStore {
  constructor(private readonly db: PgExecutor) {}

  async list(): Promise<SigningKeyRecord[]> {
    return (await this.db.all<SigningKeyRow>("SELECT * FROM signing_keys ORDER BY created_at DESC, kid")).map(
      toSigningKey,
    );
  }

  /**
   * Two processes rotating at once would each retire only the keys committed before they started and leave
   * two current keys: the table lock serialises rotations (readers are not blocked).
   */
  add(key: SigningKeyRecord): Promise<void> {
    return this.db.atomically(async (db) => {
      await db.query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE");
      await db.query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL", [ms(key.activatesAt)]);
      await db.query(
        "INSERT INTO signing_keys (kid, public_jwk, sealed_private_jwk, created_at, activates_at) VALUES ($1, $2, $3, $4, $5)",
        [key.kid, JSON.stringify(key.publicJwk), key.sealedPrivateJwk, ms(key.createdAt), ms(key.activatesAt)],
      );
    });
  }
}
