import { parentPort, workerData } from "node:worker_threads";
import { AddressPolicy } from "../../net/address-policy.js";
import { systemClock } from "../../runtime/system-clock.js";
import { TurnOutbox } from "../../runtime/turn-outbox.js";
import type { EndpointSlot, SenderOutcome } from "../engine.js";
import { HttpSender, type OutgoingRequest } from "../sender.js";
import { EndpointSlots } from "./endpoint-slots.js";
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
const slots = new EndpointSlots();
const results = new TurnOutbox<{ id: number; result: SenderOutcome }>((sent) =>
  port.postMessage({ kind: "sent", results: sent } satisfies FromSenderThread),
);

/** Sends once the request's endpoint has a slot free (`EndpointSlots`); withdrawn if the loop stops first. */
async function sendWhenItsTurn(request: OutgoingRequest, slot: EndpointSlot | undefined): Promise<SenderOutcome> {
  if (slot === undefined) return sender.send(request);
  if (!(await slots.acquire(slot.key, slot.size))) return { kind: "withdrawn" };
  try {
    return await sender.send(request);
  } finally {
    slots.release(slot.key);
  }
}

port.on("message", (message: ToSenderThread) => {
  if (message.kind === "send") {
    for (const { id, request, slot } of message.requests) {
      const sending: Promise<void> = sendWhenItsTurn(request, slot)
        // HttpSender answers every request with a result; a throw would be its bug, and must not strand the delivery.
        .catch(
          (err: unknown): SenderOutcome => ({ kind: "error", error: `sender failed: ${String(err)}`, latencyMs: 0 }),
        )
        .then((result) => {
          inFlight.delete(sending);
          results.push({ id, result });
        });
      inFlight.add(sending);
    }
    return;
  }
  if (message.kind === "withdraw") {
    slots.withdrawAll();
    return;
  }
  // Close: what is in flight ends (at its deadline at the latest) and is answered before the thread says so.
  void Promise.all(inFlight)
    .then(() => sender.close())
    .then(() => {
      results.flush();
      port.postMessage({ kind: "closed" } satisfies FromSenderThread);
    });
});
