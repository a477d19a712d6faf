import { parentPort } from "node:worker_threads";
import { importJWK, SignJWT, type CryptoKey, type JWK } from "jose";
import { TurnOutbox } from "../../runtime/turn-outbox.js";
import type { FromWorker, SignReply, ToWorker } from "./protocol.js";

/** Signs JWTs off the delivery loop's thread with the RS256 and ES256 keys of the ring (see `JwtSignerPool`). */
let keys = new Map<string, { alg: string; key: Promise<CryptoKey | Uint8Array> }>();
const replies = new TurnOutbox<SignReply>((signed) =>
  parentPort!.postMessage({ replies: signed } satisfies FromWorker),
);

parentPort!.on("message", (message: ToWorker) => {
  if (message.kind === "keys") {
    keys = new Map(message.keys.map(({ kid, jwk }) => [kid, load(jwk)]));
    return;
  }
  for (const { id, kid, claims } of message.requests)
    void signJwt(id, kid, claims).then((signed) => replies.push(signed));
});

function load(jwk: JWK): { alg: string; key: Promise<CryptoKey | Uint8Array> } {
  const alg = jwk.alg ?? "RS256";
  return { alg, key: importJWK(jwk, alg) };
}

async function signJwt(id: number, kid: string, claims: Record<string, unknown>): Promise<SignReply> {
  try {
    const signing = keys.get(kid);
    if (signing === undefined) throw new Error(`no signing key ${kid} loaded`);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: signing.alg, typ: "JWT", kid })
      .sign(await signing.key);
    return { id, signature: token };
  } catch (err) {
    return { id, error: err instanceof Error ? err.message : String(err) };
  }
}
