import { toSigningKey, type SigningKeyRow } from "../rows.js";
import type { SigningKeyRecord, SigningKeyStore } from "../store.js";
import { SqliteAggregate } from "./aggregate.js";

export class SqliteSigningKeys extends SqliteAggregate implements SigningKeyStore {
  list(): Promise<SigningKeyRecord[]> {
    return this.run(() =>
      (this.statement("SELECT * FROM signing_keys ORDER BY created_at DESC, kid").all() as SigningKeyRow[]).map(
        toSigningKey,
      ),
    );
  }

  add(key: SigningKeyRecord): Promise<void> {
    return this.atomically(() => {
      this.statement("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL").run(key.activatesAt);
      this.statement(
        "INSERT INTO signing_keys (kid, public_jwk, sealed_private_jwk, created_at, activates_at) VALUES (?, ?, ?, ?, ?)",
      ).run(key.kid, JSON.stringify(key.publicJwk), key.sealedPrivateJwk, key.createdAt, key.activatesAt);
    });
  }
}
