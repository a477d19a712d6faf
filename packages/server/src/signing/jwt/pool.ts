import { createPrivateKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { keysSigningV1aAt, signingKeyAt, type KeySchedule } from "../../core/signing-keys.js";
import { TurnOutbox } from "../../runtime/turn-outbox.js";
import { workerScriptUrl } from "../../runtime/worker-script.js";
import type { SignerKey } from "../signing-key-ring.js";
import type { FromWorker, SignReply, SignRequest, ToWorker } from "./protocol.js";

const WORKER_URL = workerScriptUrl("./worker.js", import.meta.url);

interface Pending {
  resolve: (signature: string) => void;
  reject: (err: Error) => void;
  slot: Slot;
}

interface Slot {
  worker: Worker;
  load: number;
  /** Requests gathered this turn, posted together at its end. */
  outbox: TurnOutbox<SignRequest>;
}

/**
 * The ring's keys, for dynamic deliveries. An Ed25519 signature (an EdDSA token, `v1a`) costs 30–45 µs, no more
 * than a hop to a signing thread and back, and such a hop held one of the endpoint's slots: those keys are opened
 * here and the sender signs with them as it sends (`AttemptSigning`). An RS256 token costs 0.35–1 ms of CPU
 * (2048-bit RSA), and ES256 goes through WebCrypto: a small pool of worker threads signs those, so the delivery
 * loop only builds claims and posts messages (docs/architecture.md: worker threads).
 */
export class JwtSignerPool {
  private readonly workers: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private schedule: (KeySchedule & { ed25519: boolean })[] = [];
  /** The ring's Ed25519 keys, opened here for the sender to sign with. */
  private ed25519Keys = new Map<string, KeyObject>();
  /** The other keys, for the threads. */
  private threadKeys: ToWorker = { kind: "keys", keys: [] };

  /**
   * The threads start with the first signature that needs one: a process that signs only HMAC or Ed25519 never
   * starts them, and each holds a V8 heap of its own (tens of MB of RSS).
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
    const isEd25519 = (k: SignerKey) => k.privateJwk.crv === "Ed25519";
    this.ed25519Keys = new Map(
      keys.filter(isEd25519).map((k) => [k.kid, createPrivateKey({ key: k.privateJwk as JsonWebKey, format: "jwk" })]),
    );
    this.threadKeys = {
      kind: "keys",
      keys: keys.filter((k) => !isEd25519(k)).map((k) => ({ kid: k.kid, jwk: k.privateJwk })),
    };
    for (const { worker } of this.workers) worker.postMessage(this.threadKeys);
  }

  /** The key in use at `issuedAt` (ms) when it is an Ed25519 key, which the sender signs with (`AttemptSigning`). */
  ed25519KeyAt(issuedAt: number): { kid: string; key: KeyObject } | undefined {
    const kid = this.keyAt(issuedAt).kid;
    const key = this.ed25519Keys.get(kid);
    return key === undefined ? undefined : { kid, key };
  }

  /** A JWT over `claims`, signed on a thread with the RS256 or ES256 key in use at `issuedAt` (ms). */
  async sign(claims: Record<string, unknown>, issuedAt: number): Promise<string> {
    const { kid } = this.keyAt(issuedAt);
    if (this.ed25519Keys.has(kid)) return Promise.reject(new Error(`key ${kid} is Ed25519: the sender signs with it`));
    return this.post({ kid, claims });
  }

  /** The Ed25519 keys that sign a `v1a` delivery at `at` (ms), one `v1a,` entry each. */
  v1aKeysAt(at: number): KeyObject[] {
    const keys = keysSigningV1aAt(
      this.schedule.filter((k) => k.ed25519),
      at,
    ).map((k) => this.ed25519Keys.get(k.kid) as KeyObject);
    if (keys.length === 0) throw new Error(`no Ed25519 signing key is in use at ${new Date(at).toISOString()}`);
    return keys;
  }

  private keyAt(issuedAt: number): KeySchedule {
    const key = signingKeyAt(this.schedule, issuedAt);
    if (key === undefined) throw new Error(`no signing key is active at ${new Date(issuedAt).toISOString()}`);
    return key;
  }

  private post(request: Omit<SignRequest, "id">): Promise<string> {
    if (this.workers.length === 0) this.start();
    const slot = this.workers.reduce((least, w) => (w.load < least.load ? w : least));
    const id = this.nextId++;
    slot.load++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.outbox.push({ ...request, id });
    });
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_URL);
      worker.unref();
      worker.on("message", ({ replies }: FromWorker) => {
        for (const reply of replies) this.settle(reply);
      });
      worker.on("error", (err) => this.failAll(err));
      worker.postMessage(this.threadKeys);
      const outbox = new TurnOutbox<SignRequest>((requests) =>
        worker.postMessage({ kind: "sign", requests } satisfies ToWorker),
      );
      this.workers.push({ worker, load: 0, outbox });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ worker }) => worker.terminate()));
    this.failAll(new Error("the signing pool closed"));
  }

  private settle(reply: SignReply): void {
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
