import { parentPort } from "node:worker_threads";
import { importJWK, SignJWT, type CryptoKey } from "jose";
import type { FromWorker, ToWorker } from "./protocol.js";

/** Signs RS256 webhook tokens off the delivery loop's thread. */
let key: { kid: string; privateKey: Promise<CryptoKey | Uint8Array> } | undefined;

parentPort!.on("message", (message: ToWorker) => {
  if (message.kind === "key") {
    key = { kid: message.kid, privateKey: importJWK(message.jwk, "RS256") };
    return;
  }
  void sign(message.id, message.claims).then((reply) => parentPort!.postMessage(reply));
});

async function sign(id: number, claims: Record<string, unknown>): Promise<FromWorker> {
  try {
    if (key === undefined) throw new Error("no signing key loaded");
    const token = await new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid }).sign(await key.privateKey);
    return { id, token };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}
