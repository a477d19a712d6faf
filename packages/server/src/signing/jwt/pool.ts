import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { keysSigningV1aAt, signingKeyAt, type KeySchedule } from "../../core/signing-keys.js";
import type { SignerKey } from "../signing-key-ring.js";
import type { FromWorker, ToWorker } from "./protocol.js";
import { workerScriptUrl } from "../../runtime/worker-script.js";

const WORKER_URL = workerScriptUrl("./worker.js", import.meta.url);

interface Pending {
  resolve: (signature: string) => void;
  reject: (err: Error) => void;
}

/**
 * RS256 costs 0.35–1 ms of CPU per token (2048-bit RSA): a small pool of worker threads signs them so
 * the delivery loop only builds claims and posts messages. The same workers sign `v1a` (Ed25519 over the
 * Standard Webhooks content, 0.03–0.1 ms each) with the ring's Ed25519 keys or a static webhook's own.
 */
export class JwtSignerPool {
  private readonly workers: { worker: Worker; load: number }[] = [];
  private readonly pending = new Map<number, Pending & { slot: { load: number } }>();
  private nextId = 0;
  private schedule: (KeySchedule & { ed25519: boolean })[] = [];
  private keys: ToWorker = { kind: "keys", keys: [] };

  /**
   * The threads start with the first signature: a process whose webhooks are all static HMAC ones never needs
   * them, and each holds a V8 heap of its own (tens of MB of RSS).
   */
  constructor(
    keys: SignerKey[],
    private readonly size = Math.max(1, availableParallelism() - 1),
  ) {
    this.setKeys(keys);
  }

  /** The keys that sign now and later; each token is signed with the one in use when it is issued. */
  setKeys(keys: SignerKey[]): void {
    this.schedule = keys.map(({ kid, activatesAt, retiredAt, privateJwk }) => ({
      kid,
      activatesAt,
      retiredAt,
      ed25519: privateJwk.crv === "Ed25519",
    }));
    this.keys = { kind: "keys", keys: keys.map((k) => ({ kid: k.kid, jwk: k.privateJwk })) };
    for (const { worker } of this.workers) worker.postMessage(this.keys);
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_URL);
      worker.unref();
      worker.on("message", (reply: FromWorker) => this.settle(reply));
      worker.on("error", (err) => this.failAll(err));
      worker.postMessage(this.keys);
      this.workers.push({ worker, load: 0 });
    }
  }

  /** A JWT: signs `claims` with the key in use at `issuedAt` (ms). */
  sign(claims: Record<string, unknown>, issuedAt: number): Promise<string> {
    const key = signingKeyAt(this.schedule, issuedAt);
    if (key === undefined)
      return Promise.reject(new Error(`no signing key is active at ${new Date(issuedAt).toISOString()}`));
    return this.post((id) => ({ kind: "jwt", id, kid: key.kid, claims }));
  }

  /** `v1a` entries over `content` (`${id}.${timestamp}.${body}`), one per Ed25519 key that signs at `at` (ms). */
  signV1a(content: string, at: number): Promise<string> {
    const kids = keysSigningV1aAt(
      this.schedule.filter((k) => k.ed25519),
      at,
    ).map((k) => k.kid);
    if (kids.length === 0)
      return Promise.reject(new Error(`no Ed25519 signing key is in use at ${new Date(at).toISOString()}`));
    return this.post((id) => ({ kind: "v1a", id, kids, content }));
  }

  /** `v1a` entries over `content` by each of a static webhook's `whsk_` keys, in their order. */
  signV1aWith(secrets: string[], content: string): Promise<string> {
    return this.post((id) => ({ kind: "v1a-static", id, secrets, content }));
  }

  private post(message: (id: number) => ToWorker): Promise<string> {
    if (this.workers.length === 0) this.start();
    const slot = this.workers.reduce((least, w) => (w.load < least.load ? w : least));
    const id = this.nextId++;
    slot.load++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage(message(id));
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    this.failAll(new Error("the signing pool closed"));
  }

  private settle(reply: FromWorker): void {
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    this.pending.delete(reply.id);
    waiting.slot.load--;
    if ("signature" in reply) waiting.resolve(reply.signature);
    else waiting.reject(new Error(reply.error));
  }

  private failAll(err: Error): void {
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.reject(err);
    }
  }
}
