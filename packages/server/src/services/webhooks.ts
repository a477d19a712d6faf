import type { CreateWebhookRequest, RecoverDeliveriesRequest, UpdateWebhookRequest } from "@tidings/sdk/contract";
import { found, invalidArgument, notFound } from "../core/errors.js";
import { LimitExceededError } from "../core/limits.js";
import { validateSubscription } from "../core/event-types.js";
import type { Delivery } from "../core/deliveries.js";
import { eventPayload, newEvent, type StoredEvent } from "../core/events.js";
import { endpointKey } from "../core/fanout.js";
import { newResourceId, newSecretBytes } from "../core/ids.js";
import type { Page, PageRequest } from "../core/pages.js";
import { fieldsToUpdate } from "../core/update-mask.js";
import { parseTimestamp } from "../core/timestamps.js";
import {
  rotateSecrets,
  type RevocationBehavior,
  type SigningScheme,
  type SigningSecret,
  type Webhook,
  type WebhookToDisable,
} from "../core/webhooks.js";
import { newEd25519SigningKey } from "../signing/ed25519.js";
import { newSigningSecret } from "../signing/standard-webhooks.js";
import type { WebhookRecord } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import { refused } from "./limits.js";
import { reportStateChange } from "./state-changes.js";
import { validateTargetUri } from "./target-uri.js";

/** Fields a PATCH may change, by their canonical (snake_case) names. */
const UPDATABLE = ["name", "uri", "subscribed_events", "state", "ordering", "rate_limit_per_second"] as const;

/** What a new signing secret shows its owner: a v1 secret (once), or a v1a key's public half (always). */
export type NewSigningCredential = { secret: string } | { publicKey: string };

export class WebhookService {
  constructor(
    private readonly ctx: ServiceContext,
    /**
     * TIDINGS_MAX_WEBHOOKS_PER_PROJECT: every event fans out to all of them, so a project's count is its events' cost.
     */
    private readonly maxPerProject: number,
  ) {}

  async create(
    projectId: string,
    input: CreateWebhookRequest,
  ): Promise<{ webhook: Webhook; credential: NewSigningCredential }> {
    const uri = validateTargetUri(input.uri, "uri", this.ctx.uriRules);
    const subscribedEvents = this.validateSubscriptions(input.subscribed_events);
    const now = this.ctx.clock.now();
    const signingScheme = input.signing_scheme ?? "v1";
    const secret = newSecret(signingScheme);
    const webhook: Webhook = {
      id: newResourceId(now),
      projectId,
      name: input.name ?? "",
      uri,
      subscribedEvents,
      state: "enabled",
      signingScheme,
      secrets: [{ ...secret, createdAt: now }],
      createdAt: now,
      updatedAt: now,
      ...(input.ordering === "fifo" ? { ordering: "fifo" as const } : {}),
      ...(input.rate_limit_per_second !== undefined ? { rateLimitPerSecond: input.rate_limit_per_second } : {}),
    };
    await this.ctx.store.transaction(async (tx) => {
      await tx.projects.lock(projectId);
      const count = await tx.webhooks.count(projectId);
      if (count >= this.maxPerProject) {
        throw refused(
          this.ctx,
          new LimitExceededError(
            "webhooks_per_project",
            `this project has ${count} webhooks, the most TIDINGS_MAX_WEBHOOKS_PER_PROJECT (${this.maxPerProject}) allows; delete one it no longer needs, or have the operator raise the limit`,
            400,
          ),
        );
      }
      await tx.webhooks.insert(this.seal(webhook));
    });
    reportStateChange(this.ctx, {
      resource: "webhook",
      kind: "webhook",
      name: `webhooks/${webhook.id}`,
      state: webhook.state,
    });
    return { webhook, credential: credentialOf(secret) };
  }

  async get(projectId: string, id: string): Promise<Webhook> {
    return this.open(found(await this.ctx.store.webhooks.get(projectId, id), `webhooks/${id}`));
  }

  async list(projectId: string, page: PageRequest): Promise<Page<Webhook>> {
    const result = await this.ctx.store.webhooks.list(projectId, page);
    return { ...result, items: result.items.map((r) => this.open(r)) };
  }

  /**
   * PATCH with an optional update_mask (a google.protobuf.FieldMask: either spelling of each name); without
   * one, every field present in the body is updated.
   */
  async update(
    projectId: string,
    id: string,
    input: UpdateWebhookRequest,
    updateMask: string | undefined,
  ): Promise<Webhook> {
    const webhook = await this.get(projectId, id);
    const previousState = webhook.state;
    const before = { ordering: webhook.ordering, rateLimitPerSecond: webhook.rateLimitPerSecond };
    const fields = fieldsToUpdate(updateMask, UPDATABLE, input);
    if (fields.includes("name")) webhook.name = input.name ?? "";
    if (fields.includes("uri")) webhook.uri = validateTargetUri(input.uri, "uri", this.ctx.uriRules);
    if (fields.includes("subscribed_events"))
      webhook.subscribedEvents = this.validateSubscriptions(input.subscribed_events);
    if (fields.includes("state")) {
      if (input.state === undefined) throw invalidArgument("state", "is in update_mask, so it is required");
      webhook.state = input.state;
    }
    if (fields.includes("ordering")) {
      if (input.ordering === "fifo") webhook.ordering = "fifo";
      else delete webhook.ordering;
    }
    if (fields.includes("rate_limit_per_second")) {
      if (input.rate_limit_per_second !== undefined) webhook.rateLimitPerSecond = input.rate_limit_per_second;
      else delete webhook.rateLimitPerSecond;
    }
    webhook.updatedAt = this.ctx.clock.now();
    const endpoint = endpointKey(webhook.id, webhook.uri, webhook);
    await this.ctx.store.transaction(async (tx) => {
      await tx.webhooks.update(this.seal(webhook));
      // What waits in the queue goes out as the webhook now says: in order, paced, or neither.
      if (endpoint !== endpointKey(webhook.id, webhook.uri, before)) await tx.deliveries.rekey(webhook.id, endpoint);
    });
    if (webhook.state !== previousState)
      reportStateChange(this.ctx, {
        resource: "webhook",
        kind: "webhook",
        name: `webhooks/${id}`,
        state: webhook.state,
      });
    return webhook;
  }

  /** What holds a FIFO webhook's deliveries back: its oldest waiting one, when that has failed at least once. */
  async blockedBy(projectId: string, webhook: Pick<Webhook, "id" | "ordering">): Promise<Delivery | undefined> {
    if (webhook.ordering !== "fifo") return undefined;
    return (await this.ctx.store.deliveries.blockedHeads(projectId, [webhook.id]))[0];
  }

  /** Deletes it and fails what it still had pending, in one transaction. */
  async delete(projectId: string, id: string): Promise<void> {
    const now = this.ctx.clock.now();
    const deleted = await this.ctx.store.transaction(async (tx) => {
      if (!(await tx.webhooks.delete(projectId, id, now))) return false;
      await tx.deliveries.failPending(id, "the webhook was deleted");
      return true;
    });
    if (!deleted) throw notFound(`webhooks/${id}`);
    reportStateChange(this.ctx, { resource: "webhook", kind: "webhook", name: `webhooks/${id}`, state: "deleted" });
  }

  /**
   * A new secret (v1) or key pair (v1a) of the webhook's scheme; the old ones sign on for the overlap `behavior` says.
   */
  async rotateSecret(projectId: string, id: string, behavior: RevocationBehavior): Promise<NewSigningCredential> {
    const webhook = await this.get(projectId, id);
    const now = this.ctx.clock.now();
    const secret = newSecret(webhook.signingScheme);
    webhook.secrets = rotateSecrets(webhook.secrets, secret, behavior, now);
    webhook.updatedAt = now;
    await this.ctx.store.webhooks.update(this.seal(webhook));
    return credentialOf(secret);
  }

  /** Sends a `webhook.ping` to this webhook alone, whatever it subscribes to. */
  async ping(projectId: string, id: string): Promise<StoredEvent> {
    await this.get(projectId, id);
    const now = this.ctx.clock.now();
    const event = newEvent(projectId, eventPayload("webhook.ping", { id: `webhooks/${id}`, webhook_id: id }, now), now);
    const published = await this.ctx.store.transaction((tx) =>
      this.ctx.outbox.write(tx, event, { kind: "webhook", webhookId: id }, now),
    );
    this.ctx.outbox.announce(published);
    return published.event as StoredEvent;
  }

  /** Re-queues the webhook's failed deliveries created in [since, until); until defaults to now. */
  async recover(projectId: string, id: string, input: RecoverDeliveriesRequest): Promise<number> {
    await this.get(projectId, id);
    const now = this.ctx.clock.now();
    const since = parseTimestamp(input.since, "since");
    const until = input.until === undefined ? now + 1 : parseTimestamp(input.until, "until");
    const count = await this.ctx.store.deliveries.recover(projectId, id, since, until, now);
    if (count > 0) this.ctx.outbox.announce({ leased: [], queued: count });
    return count;
  }

  /**
   * Disables webhooks the engine gave up on: in one transaction each, its state changes, its pending
   * deliveries fail, and a `webhook.disabled` event goes to the project's other webhooks subscribed to it.
   */
  async disable(targets: readonly WebhookToDisable[]): Promise<void> {
    for (const target of targets) {
      const now = this.ctx.clock.now();
      const data = { id: `webhooks/${target.webhookId}`, webhook_id: target.webhookId, reason: target.reason };
      const event = newEvent(target.projectId, eventPayload("webhook.disabled", data, now), now);
      const published = await this.ctx.store.transaction(async (tx) => {
        if (!(await tx.webhooks.disable(target.projectId, target.webhookId, target.state, now))) return undefined;
        await tx.deliveries.failPending(target.webhookId, `the webhook was disabled (${target.state})`);
        return this.ctx.outbox.write(tx, event, { kind: "subscribers", excludeWebhookId: target.webhookId }, now);
      });
      if (published === undefined) continue;
      reportStateChange(this.ctx, {
        resource: "webhook",
        kind: "webhook",
        name: `webhooks/${target.webhookId}`,
        state: target.state,
        detail: { reason: target.reason },
        level: "warn",
      });
      this.ctx.outbox.announce(published);
    }
  }

  private validateSubscriptions(entries: readonly string[] | undefined): string[] {
    if (entries === undefined || entries.length === 0) {
      throw invalidArgument(
        "subscribed_events",
        'must be a non-empty list of event types, e.g. ["batch.succeeded"] or ["*"]',
      );
    }
    entries.forEach((entry, i) => validateSubscription(entry, `subscribed_events[${i}]`));
    return [...new Set(entries)];
  }

  private seal(webhook: Webhook): WebhookRecord {
    const { secrets, ...rest } = webhook;
    return { ...rest, sealedSecrets: this.ctx.box.seal(JSON.stringify(secrets)) };
  }

  private open(record: WebhookRecord): Webhook {
    const { sealedSecrets, ...rest } = record;
    return { ...rest, secrets: JSON.parse(this.ctx.box.open(sealedSecrets)) as SigningSecret[] };
  }
}

function newSecret(scheme: SigningScheme): Pick<SigningSecret, "secret" | "publicKey"> {
  return scheme === "v1a" ? newEd25519SigningKey(newSecretBytes()) : { secret: newSigningSecret(newSecretBytes()) };
}

function credentialOf(secret: Pick<SigningSecret, "secret" | "publicKey">): NewSigningCredential {
  return secret.publicKey !== undefined ? { publicKey: secret.publicKey } : { secret: secret.secret };
}
