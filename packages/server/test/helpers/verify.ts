import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { vi } from "vitest";
import type { Received } from "./receiver.js";

/**
 * Verifies a received delivery with two independent implementations: the `standardwebhooks` reference
 * library and `svix`. Throws if either rejects it; returns the parsed body. `at` is the receiver's time (ms)
 * when it is not now: both libraries read the clock to refuse stale timestamps, so it is pinned while they run.
 */
export function verifyWithReferenceLibraries(secret: string, received: Received, at?: number): unknown {
  if (at === undefined) return verifyNow(secret, received);
  vi.useFakeTimers({ toFake: ["Date"], now: at });
  try {
    return verifyNow(secret, received);
  } finally {
    vi.useRealTimers();
  }
}

function verifyNow(secret: string, received: Received): unknown {
  const headers = {
    "webhook-id": String(received.headers["webhook-id"]),
    "webhook-timestamp": String(received.headers["webhook-timestamp"]),
    "webhook-signature": String(received.headers["webhook-signature"]),
  };
  const viaStandard = new StandardWebhook(secret).verify(received.body, headers);
  const viaSvix = new SvixWebhook(secret).verify(received.body, {
    "svix-id": headers["webhook-id"],
    "svix-timestamp": headers["webhook-timestamp"],
    "svix-signature": headers["webhook-signature"],
  });
  if (JSON.stringify(viaStandard) !== JSON.stringify(viaSvix)) throw new Error("the reference verifiers disagree");
  return viaStandard;
}
