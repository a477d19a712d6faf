import type { EndpointSlot, SenderOutcome } from "../engine.js";
import type { OutgoingRequest } from "../sender.js";

/** What the sending thread is started with: what `HttpSender` needs, in a form a message can carry. */
export interface SenderThreadData {
  allowedCidrs: string[];
  timeoutMs: number;
}

/**
 * Messages between the delivery loop and its sending thread. Requests and results travel in batches, one
 * message per turn of either thread's event loop: a message costs more than the few requests it carries.
 */
export type ToSenderThread =
  | { kind: "send"; requests: { id: number; request: OutgoingRequest; slot?: EndpointSlot }[] }
  | { kind: "withdraw" }
  | { kind: "close" };
export type FromSenderThread =
  | { kind: "sent"; results: { id: number; result: SenderOutcome }[] }
  | { kind: "refused"; host: string; why: string }
  | { kind: "closed" };
