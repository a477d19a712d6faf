import { parentPort } from "node:worker_threads";
import { importJWK, SignJWT, type CryptoKey } from "jose";
import type { FromWorker, ToWorker } from "./protocol.js";

/** Signs RS256 webhook tokens off the delivery loop's thread, with whichever key the pool names. */
let keys = new Map<string, Promise<CryptoKey | Uint8Array>>();

parentPort!.on("message", (message: ToWorker) => {
  if (message.kind === "keys") {
    keys = new Map(message.keys.map((k) => [k.kid, importJWK(k.jwk, "RS256")]));
    return;
  }
  void sign(message.id, message.kid, message.claims).then((reply) => parentPort!.postMessage(reply));
});

async function sign(id: number, kid: string, claims: Record<string, unknown>): Promise<FromWorker> {
  try {
    const key = keys.get(kid);
    if (key === undefined) throw new Error(`no signing key ${kid} loaded`);
    const token = await new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(await key);
    return { id, token };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}
