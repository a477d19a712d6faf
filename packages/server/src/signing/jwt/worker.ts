import { parentPort } from "node:worker_threads";
import { importJWK, SignJWT, type CryptoKey } from "jose";
import type { FromWorker, ToWorker } from "./protocol.js";

/** Signs webhook tokens off the delivery loop's thread, with whichever key the pool names, in its algorithm. */
let keys = new Map<string, { alg: string; key: Promise<CryptoKey | Uint8Array> }>();

parentPort!.on("message", (message: ToWorker) => {
  if (message.kind === "keys") {
    keys = new Map(message.keys.map((k) => [k.kid, { alg: k.jwk.alg ?? "RS256", key: importJWK(k.jwk, k.jwk.alg ?? "RS256") }]));
    return;
  }
  void sign(message.id, message.kid, message.claims).then((reply) => parentPort!.postMessage(reply));
});

async function sign(id: number, kid: string, claims: Record<string, unknown>): Promise<FromWorker> {
  try {
    const signing = keys.get(kid);
    if (signing === undefined) throw new Error(`no signing key ${kid} loaded`);
    const token = await new SignJWT(claims).setProtectedHeader({ alg: signing.alg, typ: "JWT", kid }).sign(await signing.key);
    return { id, token };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}
