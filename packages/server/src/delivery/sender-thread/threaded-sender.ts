import { Worker } from "node:worker_threads";
import type { EndpointSlot, Sender, SenderOutcome } from "../engine.js";
import type { OutgoingRequest } from "../sender.js";
import type { FromSenderThread, SenderThreadData, ToSenderThread } from "./protocol.js";
import { TurnOutbox } from "../../runtime/turn-outbox.js";
import { workerScriptUrl } from "../../runtime/worker-script.js";

const WORKER_URL = workerScriptUrl("./worker.js", import.meta.url);

/**
 * The thread's young generation, where a request's short-lived objects are made and die. V8's default (tens of MB)
 * is all resident while requests stream through: a million-delivery drain peaked about 30 MB higher with it.
 */
const YOUNG_GENERATION_MB = 8;

export interface ThreadedSenderOptions extends SenderThreadData {
  /** Hears which host name resolved to a refused address: for the server's log only (see `HttpSender`). */
  onRefusal?: (host: string, why: string) => void;
}

/**
 * `HttpSender` on a thread of its own (docs/architecture.md: the sending thread). The delivery loop hands it the
 * requests of each turn in one message and gets their results back the same way; the sockets, the SSRF guard
 * and the deadlines all live on the sending thread.
 *
 * A thread that dies answers what it held with an error (the engine retries those, same webhook-id) and is
 * replaced.
 */
export class ThreadedSender implements Sender {
  private worker: Worker;
  /** The thread starts at most an endpoint's concurrency at once and holds the rest (`EndpointSlots`). */
  readonly holdsQueues = true;
  private readonly waiting = new Map<number, (result: SenderOutcome) => void>();
  private nextId = 0;
  private readonly outbox = new TurnOutbox<{ id: number; request: OutgoingRequest; slot?: EndpointSlot }>((requests) =>
    this.worker.postMessage({ kind: "send", requests } satisfies ToSenderThread),
  );
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ThreadedSenderOptions) {
    this.worker = this.spawn();
  }

  send(req: OutgoingRequest, slot?: EndpointSlot): Promise<SenderOutcome> {
    if (this.closing !== undefined) return Promise.resolve(failed("the sender is closed"));
    const id = this.nextId++;
    this.outbox.push(slot === undefined ? { id, request: req } : { id, request: req, slot });
    // Requests in flight hold the process open, as a socket of the main thread's would.
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** What the thread holds for an endpoint's next slot is answered `withdrawn`; what it has started goes on. */
  withdraw(): void {
    if (this.closing !== undefined) return;
    // Posted after what is gathered, so that what this turn handed over is withdrawn too if it has to wait.
    this.outbox.flush();
    this.worker.postMessage({ kind: "withdraw" } satisfies ToSenderThread);
  }

  /** Sends nothing more; what is in flight ends (at its deadline at the latest) and is answered first. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.outbox.flush();
      const worker = this.worker;
      worker.on("message", (message: FromSenderThread) => {
        if (message.kind === "closed") void worker.terminate();
      });
      worker.once("exit", () => {
        for (const id of [...this.waiting.keys()]) this.answer(id, failed("the sender closed"));
        resolve();
      });
      worker.postMessage({ kind: "close" } satisfies ToSenderThread);
    });
    return this.closing;
  }

  private spawn(): Worker {
    const { allowedCidrs, timeoutMs } = this.options;
    const worker = new Worker(WORKER_URL, {
      workerData: { allowedCidrs, timeoutMs } satisfies SenderThreadData,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    worker.unref();
    worker.on("message", (message: FromSenderThread) => this.receive(message));
    worker.on("error", (err) => this.replace(worker, err.message));
    worker.on("exit", (code) => {
      if (this.closing === undefined) this.replace(worker, `exited with code ${code}`);
    });
    return worker;
  }

  private receive(message: FromSenderThread): void {
    if (message.kind === "refused") {
      this.options.onRefusal?.(message.host, message.why);
      return;
    }
    if (message.kind !== "sent") return;
    for (const { id, result } of message.results) this.answer(id, result);
  }

  private answer(id: number, result: SenderOutcome): void {
    const resolve = this.waiting.get(id);
    if (resolve === undefined) return;
    this.waiting.delete(id);
    if (this.waiting.size === 0) this.worker.unref();
    resolve(result);
  }

  /** The thread died: what it held may or may not have been sent, so each is an error the engine retries. */
  private replace(dead: Worker, why: string): void {
    if (dead !== this.worker || this.closing !== undefined) return;
    // Those not posted yet go to the new thread with the next post.
    const unposted = new Set(this.outbox.gathered.map(({ id }) => id));
    const held = [...this.waiting.keys()].filter((id) => !unposted.has(id));
    this.worker = this.spawn();
    if (this.waiting.size > held.length) this.worker.ref();
    for (const id of held) this.answer(id, failed(`the sending thread ${why}`));
  }
}

function failed(error: string): SenderOutcome {
  return { kind: "error", error, latencyMs: 0 };
}
