import type { KeyObject } from "node:crypto";
import { signEdDsaJwt, signedContent, signV1a } from "./ed25519.js";
import { webhookClaims } from "./jwt/claims.js";
import { signV1 } from "./standard-webhooks.js";

/**
 * How one attempt is signed: decided where the attempt is built (which secrets or keys are in use now) and carried
 * with its request to where it is sent, which makes the signature just before it goes out. With a sending thread,
 * that is the thread, so the delivery loop's thread signs nothing (docs/architecture.md: the sending thread). Keys
 * are KeyObjects, which cross to a thread as a reference to the same key.
 */
export type AttemptSigning =
  /** Standard Webhooks entries over `${id}.${timestamp}.${body}`: a `v1,` per HMAC key, then a `v1a,` per Ed25519 key. */
  | { kind: "entries"; hmacKeys: KeyObject[]; ed25519Keys: KeyObject[] }
  /** A dynamic delivery's EdDSA JWT (docs/wire.md: signing); its claims bind the body and are made with the signature. */
  | { kind: "eddsa-jwt"; key: KeyObject; kid: string; issuer: string; audience: string }
  /** Signed already: an RS256 or ES256 token from the signing pool's threads. */
  | { kind: "signed"; signature: string };

/** The `webhook-signature` header of an attempt with this id, timestamp (s) and body. */
export function attemptSignature(
  signing: AttemptSigning,
  webhookId: string,
  timestampSeconds: number,
  body: string,
): string {
  switch (signing.kind) {
    case "signed":
      return signing.signature;
    case "eddsa-jwt": {
      const { key, kid, issuer, audience } = signing;
      return signEdDsaJwt(key, kid, webhookClaims({ issuer, audience, webhookId, body, issuedAt: timestampSeconds }));
    }
    case "entries": {
      const content = signedContent(webhookId, timestampSeconds, body);
      const v1 = signing.hmacKeys.map((key) => signV1(key, content));
      const v1a = signing.ed25519Keys.map((key) => signV1a(key, content));
      return [...v1, ...v1a].join(" ");
    }
  }
}
