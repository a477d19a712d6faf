import { createHmac } from "node:crypto";
import { activeSecrets, type SigningSecret } from "../core/webhooks.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { boundedMemo } from "../runtime/bounded-memo.js";
import { isEd25519Secret, signedContent } from "./ed25519.js";
import type { JwtSignerPool } from "./jwt/pool.js";
import { decodeSigningSecret } from "./standard-webhooks.js";

const CACHE_LIMIT = 10_000;

/** One opened secret: when it stops signing, and its HMAC key (v1) or its `whsk_` key (v1a). */
type OpenedSecret = Pick<SigningSecret, "expireAt"> & ({ hmacKey: Buffer } | { ed25519: string });

/**
 * Signs static deliveries with every unexpired secret of the webhook, one entry each: `v1,` (HMAC-SHA256,
 * here) for `whsec_` secrets, `v1a,` (Ed25519, on the signing pool's threads) for a v1a webhook's `whsk_` keys.
 */
export class StaticSigner {
  /** Unsealing costs an AES-GCM decryption: cache by the sealed text, which changes whenever secrets do. */
  private readonly open = boundedMemo(CACHE_LIMIT, (sealed: string): OpenedSecret[] =>
    (JSON.parse(this.box.open(sealed)) as SigningSecret[]).map(({ secret, expireAt }) =>
      isEd25519Secret(secret) ? { expireAt, ed25519: secret } : { expireAt, hmacKey: decodeSigningSecret(secret) },
    ),
  );

  constructor(
    private readonly box: SecretBox,
    private readonly pool: Pick<JwtSignerPool, "signV1aWith">,
  ) {}

  async signature(
    sealedSecrets: string,
    webhookId: string,
    timestampSeconds: number,
    body: string,
    now: number,
  ): Promise<string> {
    const content = signedContent(webhookId, timestampSeconds, body);
    const entries: string[] = [];
    const ed25519: string[] = [];
    for (const secret of activeSecrets({ secrets: this.open(sealedSecrets) }, now)) {
      if ("hmacKey" in secret)
        entries.push(`v1,${createHmac("sha256", secret.hmacKey).update(content).digest("base64")}`);
      else ed25519.push(secret.ed25519);
    }
    if (ed25519.length > 0) entries.push(await this.pool.signV1aWith(ed25519, content));
    return entries.join(" ");
  }
}
