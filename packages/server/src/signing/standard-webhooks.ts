import { createHmac, type KeyObject } from "node:crypto";
import { signedContent } from "./ed25519.js";

const SECRET_PREFIX = "whsec_";

/** The HMAC key of a `whsec_` secret (raw base64 is accepted too). */
export function decodeSigningSecret(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, "base64");
}

/** Standard Webhooks `v1`: base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` under the decoded `whsec_` secret. */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return signV1(decodeSigningSecret(secret), signedContent(id, timestampSeconds, body));
}

/** One `v1,` entry: base64 HMAC-SHA256 of `content` (`${id}.${timestamp}.${body}`) under an HMAC key. */
export function signV1(key: KeyObject | Buffer, content: string): string {
  return `v1,${createHmac("sha256", key).update(content).digest("base64")}`;
}

export function newSigningSecret(bytes: Buffer): string {
  return `${SECRET_PREFIX}${bytes.toString("base64")}`;
}
