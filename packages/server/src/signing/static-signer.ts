import { createSecretKey, type KeyObject } from "node:crypto";
import { activeSecrets, type SigningSecret } from "../core/webhooks.js";
import type { SecretBox } from "../crypto/secret-box.js";
import { boundedMemo } from "../runtime/bounded-memo.js";
import type { AttemptSigning } from "./attempt-signing.js";
import { ed25519PrivateKey, isEd25519Secret } from "./ed25519.js";
import { decodeSigningSecret } from "./standard-webhooks.js";

const CACHE_LIMIT = 10_000;

/** One opened secret: when it stops signing, and its HMAC key (v1) or its `whsk_` key opened for signing (v1a). */
type OpenedSecret = Pick<SigningSecret, "expireAt"> & ({ hmacKey: KeyObject } | { ed25519: KeyObject });

/**
 * Static deliveries are signed with every unexpired secret of the webhook, one entry each: `v1,` (HMAC-SHA256) for
 * `whsec_` secrets, `v1a,` (Ed25519) for a v1a webhook's `whsk_` keys. This opens them; the sender signs
 * (`AttemptSigning`).
 */
export class StaticSigner {
  /** Unsealing costs an AES-GCM decryption: cache by the sealed text, which changes whenever secrets do. */
  private readonly open = boundedMemo(CACHE_LIMIT, (sealed: string): OpenedSecret[] =>
    (JSON.parse(this.box.open(sealed)) as SigningSecret[]).map(({ secret, expireAt }) =>
      isEd25519Secret(secret)
        ? { expireAt, ed25519: ed25519PrivateKey(secret) }
        : { expireAt, hmacKey: createSecretKey(decodeSigningSecret(secret)) },
    ),
  );

  constructor(private readonly box: SecretBox) {}

  /** The webhook's secrets that sign at `now`. */
  signing(sealedSecrets: string, now: number): AttemptSigning {
    const hmacKeys: KeyObject[] = [];
    const ed25519Keys: KeyObject[] = [];
    for (const secret of activeSecrets({ secrets: this.open(sealedSecrets) }, now)) {
      if ("hmacKey" in secret) hmacKeys.push(secret.hmacKey);
      else ed25519Keys.push(secret.ed25519);
    }
    return { kind: "entries", hmacKeys, ed25519Keys };
  }
}
