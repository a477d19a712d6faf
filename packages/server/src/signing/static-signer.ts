import { createHmac } from "node:crypto";
import { activeSecrets, type SigningSecret } from "../core/webhooks.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { ed25519PrivateKey, isEd25519Secret, signedContent, signV1a } from "./ed25519.js";
import { decodeSigningSecret } from "./standard-webhooks.js";

const CACHE_LIMIT = 10_000;

/** One opened secret: when it stops signing, and how it signs `${id}.${timestamp}.${body}`. */
interface OpenedSecret {
  expireAt?: number;
  sign(content: string): string;
}

/**
 * Signs static deliveries with every unexpired secret of the webhook, one entry each: `v1,` (HMAC-SHA256)
 * for `whsec_` secrets, `v1a,` (Ed25519) for a v1a webhook's `whsk_` keys.
 */
export class StaticSigner {
  /** Unsealing costs an AES-GCM decryption and a key import: cache by the sealed text, which changes whenever secrets do. */
  private readonly opened = new Map<string, OpenedSecret[]>();

  constructor(private readonly box: SecretBox) {}

  signature(sealedSecrets: string, webhookId: string, timestampSeconds: number, body: string, now: number): string {
    const content = signedContent(webhookId, timestampSeconds, body);
    return activeSecrets({ secrets: this.open(sealedSecrets) }, now)
      .map((s) => s.sign(content))
      .join(" ");
  }

  private open(sealed: string): OpenedSecret[] {
    let secrets = this.opened.get(sealed);
    if (secrets === undefined) {
      secrets = (JSON.parse(this.box.open(sealed)) as SigningSecret[]).map(openSecret);
      if (this.opened.size >= CACHE_LIMIT) this.opened.clear();
      this.opened.set(sealed, secrets);
    }
    return secrets;
  }
}

function openSecret({ secret, expireAt }: SigningSecret): OpenedSecret {
  if (isEd25519Secret(secret)) {
    const key = ed25519PrivateKey(secret);
    return { expireAt, sign: (content) => signV1a(key, content) };
  }
  const key = decodeSigningSecret(secret);
  return { expireAt, sign: (content) => `v1,${createHmac("sha256", key).update(content).digest("base64")}` };
}
