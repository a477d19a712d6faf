import { createPrivateKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { signV1a as v1aEntry } from "../ed25519.js";
import type { FromWorker, ToWorker } from "./protocol.js";

/** Signs webhooks off the delivery loop's thread, with whichever key the pool names: a JWT in the key's algorithm, or `v1a` with Ed25519 keys. */
interface LoadedKey {
  alg: string;
  jwt: Promise<CryptoKey | Uint8Array>;
  /** Ed25519 keys only: what signs `v1a`. */
  raw?: KeyObject;
}

let keys = new Map<string, LoadedKey>();

parentPort!.on("message", (message: ToWorker) => {
  if (message.kind === "keys") {
    keys = new Map(message.keys.map((k) => [k.kid, load(k.jwk)]));
    return;
  }
  const reply = message.kind === "jwt" ? signJwt(message.id, message.kid, message.claims) : Promise.resolve(signV1a(message.id, message.kids, message.content));
  void reply.then((r) => parentPort!.postMessage(r));
});

function load(jwk: JWK): LoadedKey {
  const alg = jwk.alg ?? "RS256";
  return { alg, jwt: importJWK(jwk, alg), ...(jwk.crv === "Ed25519" ? { raw: createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" }) } : {}) };
}

async function signJwt(id: number, kid: string, claims: Record<string, unknown>): Promise<FromWorker> {
  try {
    const signing = keys.get(kid);
    if (signing === undefined) throw new Error(`no signing key ${kid} loaded`);
    const token = await new SignJWT(claims).setProtectedHeader({ alg: signing.alg, typ: "JWT", kid }).sign(await signing.jwt);
    return { id, signature: token };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}

function signV1a(id: number, kids: string[], content: string): FromWorker {
  const entries: string[] = [];
  for (const kid of kids) {
    const key = keys.get(kid)?.raw;
    if (key === undefined) return { id, error: `no Ed25519 signing key ${kid} loaded` };
    entries.push(v1aEntry(key, content));
  }
  return { id, signature: entries.join(" ") };
}
