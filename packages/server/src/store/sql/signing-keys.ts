import { toSigningKey, type SigningKeyRow } from "../rows.js";
import type { SigningKeyRecord, SigningKeyStore } from "../store.js";
import { ms, type SqlDb } from "./db.js";

export class SqlSigningKeys implements SigningKeyStore {
  constructor(
    private readonly db: SqlDb,
    /**
     * Runs first in a rotation's transaction, to serialise rotations: two at once would each retire only the keys
     * committed before they started and leave two current keys. SQLite's one writer already does.
     */
    private readonly serialiseRotations: (db: SqlDb) => Promise<void> = async () => {},
  ) {}

  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.db.all<SigningKeyRow>("SELECT * FROM signing_keys ORDER BY created_at DESC, kid");
    return rows.map(toSigningKey);
  }

  add(key: SigningKeyRecord): Promise<void> {
    return this.db.atomically(async (db) => {
      await this.serialiseRotations(db);
      await db.run("UPDATE signing_keys SET retired_at = :activatesAt WHERE retired_at IS NULL", {
        activatesAt: ms(key.activatesAt),
      });
      await db.run(
        `INSERT INTO signing_keys (kid, public_jwk, sealed_private_jwk, created_at, activates_at)
         VALUES (:kid, :publicJwk, :sealedPrivateJwk, :createdAt, :activatesAt)`,
        {
          kid: key.kid,
          publicJwk: JSON.stringify(key.publicJwk),
          sealedPrivateJwk: key.sealedPrivateJwk,
          createdAt: ms(key.createdAt),
          activatesAt: ms(key.activatesAt),
        },
      );
    });
  }
}
