import { activeSecrets, type SigningSecret } from "../core/webhooks.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { signatureHeader } from "./standard-webhooks.js";

const CACHE_LIMIT = 10_000;

/** Signs static deliveries with every unexpired secret of the webhook (Standard Webhooks `v1`). */
export class StaticSigner {
  /** Unsealing costs an AES-GCM decryption: cache by the sealed text, which changes whenever secrets do. */
  private readonly unsealed = new Map<string, SigningSecret[]>();

  constructor(private readonly box: SecretBox) {}

  signature(sealedSecrets: string, webhookId: string, timestampSeconds: number, body: string, now: number): string {
    const secrets = activeSecrets({ secrets: this.open(sealedSecrets) }, now).map((s) => s.secret);
    return signatureHeader(secrets, webhookId, timestampSeconds, body);
  }

  private open(sealed: string): SigningSecret[] {
    let secrets = this.unsealed.get(sealed);
    if (secrets === undefined) {
      secrets = JSON.parse(this.box.open(sealed)) as SigningSecret[];
      if (this.unsealed.size >= CACHE_LIMIT) this.unsealed.clear();
      this.unsealed.set(sealed, secrets);
    }
    return secrets;
  }
}
