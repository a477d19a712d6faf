import type { DeliveryVerdict } from "./deliveries.js";

export type WebhookState = "enabled" | "disabled" | "disabled_due_to_failed_deliveries";

/** `fifo`: one delivery at a time, in the order the events committed; a failing one holds the rest back. */
export type WebhookOrdering = "unordered" | "fifo";

/**
 * How a static webhook's deliveries are signed (Standard Webhooks): `v1` is HMAC-SHA256 under a shared
 * secret; `v1a` is Ed25519, so the receiver holds only a public key, which cannot forge a delivery.
 */
export type SigningScheme = "v1" | "v1a";

/** A signing secret as the core sees it: the plaintext never leaves the crypto adapter except to sign. */
export interface SigningSecret {
  /** `whsec_…` (v1, shown once to the user) or `whsk_…` (v1a: the Ed25519 private key, never shown). */
  secret: string;
  /** `whpk_…`: the public half of a `whsk_` key, what a v1a receiver verifies with. */
  publicKey?: string;
  createdAt: number;
  /** When it stops signing; absent for the current secret. */
  expireAt?: number;
}

export interface Webhook {
  id: string;
  projectId: string;
  name: string;
  uri: string;
  subscribedEvents: string[];
  state: WebhookState;
  signingScheme: SigningScheme;
  secrets: SigningSecret[];
  createdAt: number;
  updatedAt: number;
  /** Last 2xx from this endpoint; drives auto-disable after 24 h of failures. */
  lastSuccessAt?: number;
  /** Absent: unordered. */
  ordering?: WebhookOrdering;
  /** Deliveries started per second at most; absent: unlimited. */
  rateLimitPerSecond?: number;
}

export type RevocationBehavior = "revoke_previous_secrets_after_h24" | "revoke_previous_secrets_immediately";

const DAY_MS = 24 * 60 * 60 * 1000;

export function activeSecrets<S extends Pick<SigningSecret, "expireAt">>(
  webhook: { secrets: readonly S[] },
  now: number,
): S[] {
  return webhook.secrets.filter((s) => s.expireAt === undefined || s.expireAt > now);
}

/** The secret list after a rotation: the new one first, the old ones expiring per the behaviour. */
export function rotateSecrets(
  secrets: SigningSecret[],
  fresh: Omit<SigningSecret, "createdAt" | "expireAt">,
  behavior: RevocationBehavior,
  now: number,
): SigningSecret[] {
  const kept =
    behavior === "revoke_previous_secrets_immediately"
      ? []
      : secrets
          .filter((s) => s.expireAt === undefined || s.expireAt > now)
          .map((s) => ({ ...s, expireAt: Math.min(s.expireAt ?? Infinity, now + DAY_MS) }));
  return [{ ...fresh, createdAt: now }, ...kept];
}

/**
 * What lists show of a signing secret: the end of a `whsec_` secret, or of a v1a key's public half (the
 * private `whsk_` key is never shown, not even in part).
 */
export function truncateSecret(secret: Pick<SigningSecret, "secret" | "publicKey">): string {
  return secret.publicKey !== undefined
    ? `whpk_...${secret.publicKey.slice(-4)}`
    : `whsec_...${secret.secret.slice(-4)}`;
}

/** The key a v1a receiver verifies with now: the newest unexpired one (a rotation puts the new key first). */
export function currentPublicKey(webhook: Pick<Webhook, "secrets">, now: number): string | undefined {
  return activeSecrets(webhook, now)[0]?.publicKey;
}

/** A webhook that must be disabled: it answered 410, or its deliveries ran out with no success for the window. */
export interface WebhookToDisable {
  projectId: string;
  webhookId: string;
  state: Exclude<WebhookState, "enabled">;
  reason: string;
}

/**
 * The disable rule (docs/wire.md: delivery semantics). Outcomes are taken in the order they happened: a 410 disables at
 * once; a
 * delivery that ran out of retries disables its webhook when the webhook has had no success for the
 * whole retry window, counting successes earlier in the same list.
 */
export function webhooksToDisable(
  outcomes: readonly { webhookId?: string; verdict: DeliveryVerdict }[],
  enabled: readonly Pick<Webhook, "id" | "projectId" | "createdAt" | "lastSuccessAt">[],
  now: number,
  windowMs: number,
): WebhookToDisable[] {
  const candidates = new Map(enabled.map((w) => [w.id, w]));
  const lastSuccess = new Map<string, number>();
  const toDisable = new Map<string, WebhookToDisable>();
  for (const { webhookId, verdict } of outcomes) {
    if (webhookId === undefined) continue;
    if (verdict.kind === "succeeded") {
      lastSuccess.set(webhookId, now);
      continue;
    }
    const webhook = candidates.get(webhookId);
    if (webhook === undefined || toDisable.has(webhookId)) continue;
    if (verdict.kind === "gone") {
      toDisable.set(webhookId, {
        projectId: webhook.projectId,
        webhookId,
        state: "disabled",
        reason: "the endpoint answered 410 Gone",
      });
    } else if (
      verdict.kind === "failed" &&
      (lastSuccess.get(webhookId) ?? webhook.lastSuccessAt ?? webhook.createdAt) <= now - windowMs
    ) {
      toDisable.set(webhookId, {
        projectId: webhook.projectId,
        webhookId,
        state: "disabled_due_to_failed_deliveries",
        reason: `no successful delivery for ${formatWindow(windowMs)} and deliveries exhausted their retries`,
      });
    }
  }
  return [...toDisable.values()];
}

/**
 * The terminal failures among outcomes: the only ones that can disable a webhook, so the only webhooks worth reading.
 */
export function webhooksAtRisk(outcomes: readonly { webhookId?: string; verdict: DeliveryVerdict }[]): string[] {
  const ids = outcomes.flatMap(({ webhookId, verdict }) =>
    webhookId !== undefined && (verdict.kind === "failed" || verdict.kind === "gone") ? [webhookId] : [],
  );
  return [...new Set(ids)];
}

function formatWindow(ms: number): string {
  const hours = ms / 3_600_000;
  return Number.isInteger(hours) ? `${hours} hours` : `${Math.round(ms / 1000)} seconds`;
}
