import { invalidArgument } from "./errors.js";
import { toRfc3339 } from "./clock.js";

export type WebhookState = "enabled" | "disabled" | "disabled_due_to_failed_deliveries";
export const WEBHOOK_STATES: readonly WebhookState[] = ["enabled", "disabled", "disabled_due_to_failed_deliveries"];

/** A signing secret as the core sees it: the plaintext never leaves the crypto adapter except to sign. */
export interface SigningSecret {
  /** `whsec_…` as shown once to the user. */
  secret: string;
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
  secrets: SigningSecret[];
  createdAt: number;
  updatedAt: number;
  /** Last 2xx from this endpoint; drives auto-disable after 24 h of failures. */
  lastSuccessAt?: number;
}

export type RevocationBehavior = "revoke_previous_secrets_after_h24" | "revoke_previous_secrets_immediately";
export const REVOCATION_BEHAVIORS: readonly RevocationBehavior[] = [
  "revoke_previous_secrets_after_h24",
  "revoke_previous_secrets_immediately",
];

const DAY_MS = 24 * 60 * 60 * 1000;

export function activeSecrets(webhook: Pick<Webhook, "secrets">, now: number): SigningSecret[] {
  return webhook.secrets.filter((s) => s.expireAt === undefined || s.expireAt > now);
}

/** The secret list after a rotation: the new one first, the old ones expiring per the behaviour. */
export function rotateSecrets(
  secrets: SigningSecret[],
  fresh: string,
  behavior: RevocationBehavior,
  now: number,
): SigningSecret[] {
  const kept =
    behavior === "revoke_previous_secrets_immediately"
      ? []
      : secrets
          .filter((s) => s.expireAt === undefined || s.expireAt > now)
          .map((s) => ({ ...s, expireAt: Math.min(s.expireAt ?? Infinity, now + DAY_MS) }));
  return [{ secret: fresh, createdAt: now }, ...kept];
}

export function truncateSecret(secret: string): string {
  return `whsec_...${secret.slice(-4)}`;
}

/** The wire view (snake_case, DESIGN §2.1). The full secret is added only by create. */
export function toWebhookResource(webhook: Webhook, now: number): Record<string, unknown> {
  return {
    id: webhook.id,
    name: webhook.name,
    uri: webhook.uri,
    subscribed_events: webhook.subscribedEvents,
    state: webhook.state,
    signing_secrets: activeSecrets(webhook, now).map((s) => ({
      truncated_secret: truncateSecret(s.secret),
      ...(s.expireAt !== undefined ? { expire_time: toRfc3339(s.expireAt) } : {}),
    })),
    create_time: toRfc3339(webhook.createdAt),
    update_time: toRfc3339(webhook.updatedAt),
  };
}

export function parseWebhookState(value: string, field: string): WebhookState {
  if ((WEBHOOK_STATES as readonly string[]).includes(value)) return value as WebhookState;
  throw invalidArgument(field, `unknown state "${value}"; expected one of ${WEBHOOK_STATES.join(", ")}`);
}
