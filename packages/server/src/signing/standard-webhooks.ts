import { createHmac } from "node:crypto";

/** Standard Webhooks `v1`: base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` under the decoded `whsec_` secret. */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`;
}

/** One space-separated `v1,` entry per unexpired secret, so receivers holding either secret verify during a rotation. */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => signStandardWebhook(s, id, timestampSeconds, body)).join(" ");
}

export function newSigningSecret(bytes: Buffer): string {
  return `whsec_${bytes.toString("base64")}`;
}
