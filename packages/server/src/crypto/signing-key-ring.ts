import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import type { Clock } from "../core/clock.js";
import type { SigningKeyRecord, SigningKeyStore } from "../store/store.js";
import type { SecretBox } from "./secret-box.js";

/** How long a replaced key stays in the JWKS, so receivers' caches and in-flight retries still verify. */
export const RETIRED_KEY_PUBLISHED_MS = 48 * 60 * 60 * 1000;

export interface CurrentSigningKey {
  kid: string;
  privateJwk: JWK;
}

/**
 * The RS256 keys that sign dynamic webhooks. The private key is sealed at rest; the public keys of the
 * current key and of keys retired in the last 48 h are published at /.well-known/jwks.json.
 */
export class SigningKeyRing {
  constructor(
    private readonly store: { signingKeys: SigningKeyStore },
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** Loads the keys, making the first one on a fresh install. */
  async load(): Promise<CurrentSigningKey> {
    const record = (await this.store.signingKeys.list()).find((k) => k.retiredAt === undefined);
    return record === undefined ? this.rotate() : this.use(record);
  }

  async rotate(): Promise<CurrentSigningKey> {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const now = this.clock.now();
    const record: SigningKeyRecord = {
      kid,
      publicJwk: { ...publicJwk, kid, alg: "RS256", use: "sig" },
      sealedPrivateJwk: this.box.seal(JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: "RS256" })),
      createdAt: now,
    };
    await this.store.signingKeys.add(record, now);
    return this.use(record);
  }

  /** Read from the store on every call: another process may have rotated, and the table is tiny. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    const cutoff = this.clock.now() - RETIRED_KEY_PUBLISHED_MS;
    const keys = await this.store.signingKeys.list();
    return { keys: keys.filter((k) => k.retiredAt === undefined || k.retiredAt > cutoff).map((k) => k.publicJwk) };
  }

  private use(record: SigningKeyRecord): CurrentSigningKey {
    return { kid: record.kid, privateJwk: JSON.parse(this.box.open(record.sealedPrivateJwk)) as JWK };
  }
}
