import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";

const PRIVATE_PREFIX = "whsk_";
const PUBLIC_PREFIX = "whpk_";

/** The PKCS#8 DER header of an Ed25519 private key (RFC 8410): what precedes its 32-byte seed. */
const PKCS8_ED25519_HEADER = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * A v1a signing key as stored (sealed) and published, in Svix's encoding: `whsk_` + base64 of the 64-byte
 * secret key (the 32-byte seed, then the public key, as libsodium lays it out), `whpk_` + base64 of the raw
 * 32-byte public key.
 */
export interface Ed25519SigningKey {
  secret: string;
  publicKey: string;
}

export function isEd25519Secret(secret: string): boolean {
  return secret.startsWith(PRIVATE_PREFIX);
}

/** A new key pair from 32 random bytes (the seed). */
export function newEd25519SigningKey(seed: Buffer): Ed25519SigningKey {
  const publicKey = rawPublicKey(privateKeyFromSeed(seed));
  return {
    secret: `${PRIVATE_PREFIX}${Buffer.concat([seed, publicKey]).toString("base64")}`,
    publicKey: `${PUBLIC_PREFIX}${publicKey.toString("base64")}`,
  };
}

/** Opens a `whsk_` key for signing. */
export function ed25519PrivateKey(secret: string): KeyObject {
  const bytes = Buffer.from(secret.slice(PRIVATE_PREFIX.length), "base64");
  if (!isEd25519Secret(secret) || bytes.length !== 64)
    throw new Error("not an Ed25519 signing key (whsk_ + base64 of 64 bytes: seed and public key)");
  return privateKeyFromSeed(bytes.subarray(0, 32));
}

function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_HEADER, seed]), format: "der", type: "pkcs8" });
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  const { x } = createPublicKey(privateKey).export({ format: "jwk" });
  return Buffer.from(x as string, "base64url");
}

/** Standard Webhooks `v1a`: base64 Ed25519 signature of `${id}.${timestamp}.${body}`, as one `v1a,` entry. */
export function signV1a(key: KeyObject, content: string): string {
  return `v1a,${sign(null, Buffer.from(content, "utf8"), key).toString("base64")}`;
}

/**
 * A JWT signed with EdDSA (RFC 8037): the compact JWS `header.claims.signature`, each part base64url. Signed with
 * node:crypto, as `v1a` is, rather than through jose: jose 6 signs with WebCrypto, whose Ed25519 signature is an
 * asynchronous job costing several times the signature itself (docs/architecture.md: worker threads). Receivers
 * verify it with any JOSE library; the tests do with jose.
 */
export function signEdDsaJwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ alg: "EdDSA", typ: "JWT", kid }), "utf8").toString("base64url");
  const payload = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
  const signingInput = `${header}.${payload}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput, "utf8"), key).toString("base64url")}`;
}

/** What `v1` and `v1a` both sign. */
export function signedContent(id: string, timestampSeconds: number, body: string): string {
  return `${id}.${timestampSeconds}.${body}`;
}
