import { createPrivateKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { boundedMemo } from "../../runtime/bounded-memo.js";
import { ed25519PrivateKey, signEdDsaJwt, signV1a as v1aEntry } from "../ed25519.js";
import type { FromWorker, ToWorker } from "./protocol.js";

/**
 * Signs webhooks off the delivery loop's thread, with whichever key the pool names: a JWT in the key's algorithm, or
 * `v1a` with Ed25519 keys.
 */
interface LoadedKey {
  /** Signs a JWT's claims with this key. */
  signJwt(kid: string, claims: Record<string, unknown>): string | Promise<string>;
  /** Ed25519 keys only: what signs `v1a`. */
  raw?: KeyObject;
}

let keys = new Map<string, LoadedKey>();
/** Static webhooks' keys, opened once each; bounded, as webhooks come and go. */
const staticKey = boundedMemo(10_000, ed25519PrivateKey);

parentPort!.on("message", (message: ToWorker) => {
  if (message.kind === "keys") {
    keys = new Map(message.keys.map((k) => [k.kid, load(k.jwk)]));
    return;
  }
  if (message.kind === "jwt") {
    void signJwt(message.id, message.kid, message.claims).then((reply) => parentPort!.postMessage(reply));
    return;
  }
  const signers =
    message.kind === "v1a"
      ? message.kids.map((kid) => () => keys.get(kid)?.raw)
      : message.secrets.map((secret) => () => staticKey(secret));
  parentPort!.postMessage(signV1a(message.id, signers, message.content));
});

/** Ed25519 keys sign with node:crypto (see `signEdDsaJwt`); RS256 and ES256 ones through jose. */
function load(jwk: JWK): LoadedKey {
  if (jwk.crv === "Ed25519") {
    const raw = createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" });
    return { raw, signJwt: (kid, claims) => signEdDsaJwt(raw, kid, claims) };
  }
  const alg = jwk.alg ?? "RS256";
  const key: Promise<CryptoKey | Uint8Array> = importJWK(jwk, alg);
  return {
    signJwt: async (kid, claims) => new SignJWT(claims).setProtectedHeader({ alg, typ: "JWT", kid }).sign(await key),
  };
}

async function signJwt(id: number, kid: string, claims: Record<string, unknown>): Promise<FromWorker> {
  try {
    const signing = keys.get(kid);
    if (signing === undefined) throw new Error(`no signing key ${kid} loaded`);
    return { id, signature: await signing.signJwt(kid, claims) };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}

function signV1a(id: number, signers: (() => KeyObject | undefined)[], content: string): FromWorker {
  try {
    const entries = signers.map((key) => {
      const opened = key();
      if (opened === undefined) throw new Error("an Ed25519 signing key is not loaded");
      return v1aEntry(opened, content);
    });
    return { id, signature: entries.join(" ") };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}
