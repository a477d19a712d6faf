import { parentPort, workerData } from "node:worker_threads";
import type { SendResult } from "../../core/deliveries.js";
import { AddressPolicy } from "../../net/address-policy.js";
import { systemClock } from "../../runtime/system-clock.js";
import { HttpSender } from "../sender.js";
import type { FromSenderThread, SenderThreadData, ToSenderThread } from "./protocol.js";

/**
 * Sends the delivery loop's webhooks on a thread of its own (docs/architecture.md: the sending thread): writing
 * requests and reading responses was about a sixth of the main thread's CPU per delivered event.
 */
const port = parentPort!;
const { allowedCidrs, timeoutMs } = workerData as SenderThreadData;
const sender = new HttpSender({
  policy: new AddressPolicy(allowedCidrs),
  timeoutMs,
  clock: systemClock,
  onRefusal: (host, why) => port.postMessage({ kind: "refused", host, why } satisfies FromSenderThread),
});

const inFlight = new Set<Promise<void>>();
let doneIds: number[] = [];
let doneResults: SendResult[] = [];
let replyBooked = false;

function reply(): void {
  replyBooked = false;
  if (doneIds.length === 0) return;
  port.postMessage({ kind: "sent", ids: doneIds, results: doneResults } satisfies FromSenderThread);
  doneIds = [];
  doneResults = [];
}

function finished(id: number, result: SendResult): void {
  doneIds.push(id);
  doneResults.push(result);
  if (!replyBooked) {
    replyBooked = true;
    setImmediate(reply);
  }
}

port.on("message", (message: ToSenderThread) => {
  if (message.kind === "send") {
    message.requests.forEach((request, i) => {
      const id = message.ids[i] as number;
      const sending: Promise<void> = sender
        .send(request)
        // HttpSender answers every request with a result; a throw would be its bug, and must not strand the delivery.
        .catch((err: unknown): SendResult => ({ kind: "error", error: `sender failed: ${String(err)}`, latencyMs: 0 }))
        .then((result) => {
          inFlight.delete(sending);
          finished(id, result);
        });
      inFlight.add(sending);
    });
    return;
  }
  // Close: what is in flight ends (at its deadline at the latest) and is answered before the thread says so.
  void Promise.all(inFlight)
    .then(() => sender.close())
    .then(() => {
      reply();
      port.postMessage({ kind: "closed" } satisfies FromSenderThread);
    });
});
