import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";
import type { Clock } from "../core/clock.js";
import { publishedKeys, type JwtAlgorithm, type KeySchedule } from "../core/signing-keys.js";
import type { SigningKeyRecord, SigningKeyStore } from "../store/store.js";
import type { SecretBox } from "../crypto/secret-box.js";

/** A key as the signers hold it: its private half opened (with its `alg`), with when it signs. */
export interface SignerKey extends KeySchedule {
  privateJwk: JWK;
}

export interface SigningKeyRingOptions {
  /** TIDINGS_JWKS_PROPAGATION_S: how long a new key is published before it signs. */
  propagationMs: number;
  /** TIDINGS_JWT_ALG: what new keys are. */
  algorithm: JwtAlgorithm;
}

/**
 * The keys that sign dynamic webhooks (RS256 unless TIDINGS_JWT_ALG says otherwise). Private keys are sealed at rest. A
 * rotation is staged: the new
 * key is published in the JWKS at once and signs only after `propagationMs` (longer than receivers cache a
 * JWKS), while the previous key keeps signing until then and stays published 48 h after.
 */
export class SigningKeyRing {
  constructor(
    private readonly store: { signingKeys: SigningKeyStore },
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly options: SigningKeyRingOptions,
  ) {}

  /**
   * After TIDINGS_JWT_ALG changed: the newest key is of another algorithm, so a rotation (staged, like any)
   * brings in one of the configured algorithm. Every process sharing a database must be configured alike.
   */
  async ensureAlgorithm(): Promise<void> {
    const [newest] = [...(await this.store.signingKeys.list())].sort((a, b) => b.activatesAt - a.activatesAt);
    if (newest !== undefined && newest.publicJwk.alg !== this.options.algorithm) await this.rotate();
  }

  /** Every key that signs now or will, making the first one (active at once) on a fresh install. */
  async load(): Promise<SignerKey[]> {
    let keys = await this.store.signingKeys.list();
    if (keys.length === 0) {
      await this.add(this.clock.now());
      keys = await this.store.signingKeys.list();
    }
    const now = this.clock.now();
    return keys.filter((k) => k.retiredAt === undefined || k.retiredAt > now).map((k) => this.open(k));
  }

  /** Publishes a new key now; it signs from `propagationMs` later. */
  async rotate(): Promise<{ kid: string; activatesAt: number }> {
    const record = await this.add(this.clock.now() + this.options.propagationMs);
    return { kid: record.kid, activatesAt: record.activatesAt };
  }

  /** Read from the store on every call: another process may have rotated, and the table is tiny. */
  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    return { keys: publishedKeys(await this.store.signingKeys.list(), this.clock.now()).map((k) => k.publicJwk) };
  }

  private async add(activatesAt: number): Promise<SigningKeyRecord> {
    const alg = this.options.algorithm;
    const { publicKey, privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const record: SigningKeyRecord = {
      kid,
      publicJwk: { ...publicJwk, kid, alg, use: "sig" },
      sealedPrivateJwk: this.box.seal(JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg })),
      createdAt: this.clock.now(),
      activatesAt,
    };
    await this.store.signingKeys.add(record);
    return record;
  }

  private open(record: SigningKeyRecord): SignerKey {
    return {
      kid: record.kid,
      activatesAt: record.activatesAt,
      retiredAt: record.retiredAt,
      privateJwk: JSON.parse(this.box.open(record.sealedPrivateJwk)) as JWK,
    };
  }
}
