import { createHmac, type KeyObject } from "node:crypto";
import { activeSecrets, type SigningSecret } from "../core/webhooks.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { boundedMemo } from "../runtime/bounded-memo.js";
import { ed25519PrivateKey, isEd25519Secret, signedContent, signV1a } from "./ed25519.js";
import { decodeSigningSecret } from "./standard-webhooks.js";

const CACHE_LIMIT = 10_000;

/** One opened secret: when it stops signing, and its HMAC key (v1) or its `whsk_` key opened for signing (v1a). */
type OpenedSecret = Pick<SigningSecret, "expireAt"> & ({ hmacKey: Buffer } | { ed25519: KeyObject });

/**
 * Signs static deliveries with every unexpired secret of the webhook, one entry each: `v1,` (HMAC-SHA256) for
 * `whsec_` secrets, `v1a,` (Ed25519) for a v1a webhook's `whsk_` keys. Both on the delivery loop's thread: an
 * Ed25519 signature costs about what a hand-off to a thread and back would (docs/architecture.md: worker threads).
 */
export class StaticSigner {
  /** Unsealing costs an AES-GCM decryption: cache by the sealed text, which changes whenever secrets do. */
  private readonly open = boundedMemo(CACHE_LIMIT, (sealed: string): OpenedSecret[] =>
    (JSON.parse(this.box.open(sealed)) as SigningSecret[]).map(({ secret, expireAt }) =>
      isEd25519Secret(secret)
        ? { expireAt, ed25519: ed25519PrivateKey(secret) }
        : { expireAt, hmacKey: decodeSigningSecret(secret) },
    ),
  );

  constructor(private readonly box: SecretBox) {}

  signature(sealedSecrets: string, webhookId: string, timestampSeconds: number, body: string, now: number): string {
    const content = signedContent(webhookId, timestampSeconds, body);
    const v1: string[] = [];
    const v1a: string[] = [];
    for (const secret of activeSecrets({ secrets: this.open(sealedSecrets) }, now)) {
      if ("hmacKey" in secret) v1.push(`v1,${createHmac("sha256", secret.hmacKey).update(content).digest("base64")}`);
      else v1a.push(signV1a(secret.ed25519, content));
    }
    return [...v1, ...v1a].join(" ");
  }
}
