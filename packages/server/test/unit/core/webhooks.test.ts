import { describe, expect, it } from "vitest";
import {
  activeSecrets,
  currentPublicKey,
  rotateSecrets,
  truncateSecret,
  webhooksAtRisk,
  webhooksToDisable,
} from "../../../src/core/webhooks.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const DAY = 86_400_000;
const hook = (id: string, lastSuccessAt?: number) => ({ id, projectId: "p", createdAt: T0, lastSuccessAt });

describe("webhooksToDisable (the disable rule)", () => {
  it("disables on 410 at once", () => {
    expect(webhooksToDisable([{ webhookId: "a", verdict: { kind: "gone" } }], [hook("a")], T0 + 1, DAY)).toEqual([
      { projectId: "p", webhookId: "a", state: "disabled", reason: "the endpoint answered 410 Gone" },
    ]);
  });

  it("disables on exhausted retries only after a whole window without success, counting successes earlier in the batch", () => {
    const failed = { kind: "failed" as const, error: "HTTP 500" };
    const now = T0 + DAY + 1;
    const out = webhooksToDisable(
      [
        { webhookId: "tired", verdict: failed },
        { webhookId: "recent", verdict: failed },
        { webhookId: "rescued", verdict: { kind: "succeeded" } },
        { webhookId: "rescued", verdict: failed },
        { webhookId: "retrying", verdict: { kind: "retry", at: now + 5, error: "x" } },
        { verdict: failed },
      ],
      [hook("tired"), hook("recent", T0 + 10), hook("rescued"), hook("retrying")],
      now,
      DAY,
    );
    expect(out).toEqual([
      {
        projectId: "p",
        webhookId: "tired",
        state: "disabled_due_to_failed_deliveries",
        reason: "no successful delivery for 24 hours and deliveries exhausted their retries",
      },
    ]);
  });

  it("uses the window it is given, and leaves webhooks that are not enabled alone", () => {
    const failed = { kind: "failed" as const, error: "x" };
    expect(webhooksToDisable([{ webhookId: "a", verdict: failed }], [hook("a")], T0 + 61_000, 60_000)[0]!.reason).toBe(
      "no successful delivery for 60 seconds and deliveries exhausted their retries",
    );
    expect(webhooksToDisable([{ webhookId: "a", verdict: { kind: "gone" } }], [], T0, DAY)).toEqual([]);
  });

  it("reads only the webhooks a terminal failure puts at risk", () => {
    expect(
      webhooksAtRisk([
        { webhookId: "a", verdict: { kind: "failed", error: "x" } },
        { webhookId: "a", verdict: { kind: "gone" } },
        { webhookId: "b", verdict: { kind: "retry", at: 1, error: "x" } },
        { webhookId: "c", verdict: { kind: "succeeded" } },
        { verdict: { kind: "failed", error: "x" } },
      ]),
    ).toEqual(["a"]);
  });
});

describe("secret rotation", () => {
  const old = { secret: "whsec_old", createdAt: T0 };

  it("keeps the previous secrets signing for 24 h, or drops them at once", () => {
    const overlapping = rotateSecrets([old], { secret: "whsec_new" }, "revoke_previous_secrets_after_h24", T0 + 5);
    expect(overlapping).toEqual([
      { secret: "whsec_new", createdAt: T0 + 5 },
      { ...old, expireAt: T0 + 5 + DAY },
    ]);
    expect(activeSecrets({ secrets: overlapping }, T0 + DAY).map((s) => s.secret)).toEqual(["whsec_new", "whsec_old"]);
    expect(activeSecrets({ secrets: overlapping }, T0 + 5 + DAY).map((s) => s.secret)).toEqual(["whsec_new"]);
    expect(rotateSecrets([old], { secret: "whsec_new" }, "revoke_previous_secrets_immediately", T0)).toEqual([
      { secret: "whsec_new", createdAt: T0 },
    ]);
  });

  it("rotates a v1a key pair alike: the new public key is current, the old one verifies through the overlap", () => {
    const first = { secret: "whsk_old", publicKey: "whpk_oldAAAA", createdAt: T0 };
    const rotated = rotateSecrets(
      [first],
      { secret: "whsk_new", publicKey: "whpk_newBBBB" },
      "revoke_previous_secrets_after_h24",
      T0 + 5,
    );
    expect(currentPublicKey({ secrets: rotated }, T0 + 6)).toBe("whpk_newBBBB");
    expect(activeSecrets({ secrets: rotated }, T0 + DAY).map((s) => s.publicKey)).toEqual([
      "whpk_newBBBB",
      "whpk_oldAAAA",
    ]);
    expect(activeSecrets({ secrets: rotated }, T0 + 5 + DAY).map((s) => s.publicKey)).toEqual(["whpk_newBBBB"]);
  });

  it("shows the end of a v1 secret, and of a v1a key's public half, never of its private key", () => {
    expect(truncateSecret({ secret: "whsec_abcdefWXYZ" })).toBe("whsec_...WXYZ");
    expect(truncateSecret({ secret: "whsk_private1234", publicKey: "whpk_publicABCD" })).toBe("whpk_...ABCD");
  });
});
