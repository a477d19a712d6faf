import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import type { Clock } from "../core/clock.js";
import type { SigningKeyRecord, Store } from "../store/store.js";
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
  private keys: SigningKeyRecord[] = [];
  private current: CurrentSigningKey | undefined;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** Loads the keys, making the first one on a fresh install. */
  async load(): Promise<CurrentSigningKey> {
    this.keys = await this.store.listSigningKeys();
    if (!this.keys.some((k) => k.retiredAt === undefined)) return this.rotate();
    return this.refreshCurrent();
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
    await this.store.addSigningKey(record, now);
    this.keys = await this.store.listSigningKeys();
    return this.refreshCurrent();
  }

  currentKey(): CurrentSigningKey {
    if (this.current === undefined) throw new Error("signing keys are not loaded");
    return this.current;
  }

  jwks(): { keys: Record<string, unknown>[] } {
    const cutoff = this.clock.now() - RETIRED_KEY_PUBLISHED_MS;
    return { keys: this.keys.filter((k) => k.retiredAt === undefined || k.retiredAt > cutoff).map((k) => k.publicJwk) };
  }

  private refreshCurrent(): CurrentSigningKey {
    const record = this.keys.find((k) => k.retiredAt === undefined);
    if (record === undefined) throw new Error("no current signing key");
    this.current = { kid: record.kid, privateJwk: JSON.parse(this.box.open(record.sealedPrivateJwk)) as JWK };
    return this.current;
  }
}
