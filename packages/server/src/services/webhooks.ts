import { invalidArgument, notFound } from "../core/errors.js";
import { validateSubscription } from "../core/event-types.js";
import type { StoredEvent } from "../core/events.js";
import { newEventId, newResourceId, newSecretBytes } from "../core/ids.js";
import { toRfc3339 } from "../core/clock.js";
import type { Page, PageRequest } from "../core/pages.js";
import {
  parseWebhookState, rotateSecrets, type RevocationBehavior, type SigningSecret, type Webhook,
} from "../core/webhooks.js";
import { newSigningSecret } from "../signing/standard-webhooks.js";
import type { WebhookRecord, WebhookToDisable } from "../store/store.js";
import type { ServiceContext } from "./context.js";
import { validateTargetUri } from "./target-uri.js";

export interface WebhookInput {
  name?: string;
  uri?: unknown;
  subscribed_events?: unknown;
  state?: string;
}

const UPDATABLE = ["name", "uri", "subscribed_events", "state"] as const;

export class WebhookService {
  constructor(private readonly ctx: ServiceContext) {}

  async create(projectId: string, input: WebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    const uri = validateTargetUri(input.uri, "uri", this.ctx.uriRules);
    const subscribedEvents = this.validateSubscriptions(input.subscribed_events);
    const now = this.ctx.clock.now();
    const secret = newSigningSecret(newSecretBytes());
    const webhook: Webhook = {
      id: newResourceId(),
      projectId,
      name: input.name ?? "",
      uri,
      subscribedEvents,
      state: "enabled",
      secrets: [{ secret, createdAt: now }],
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.store.insertWebhook(this.seal(webhook));
    return { webhook, secret };
  }

  async get(projectId: string, id: string): Promise<Webhook> {
    const record = await this.ctx.store.getWebhook(projectId, id);
    if (record === undefined) throw notFound(`webhooks/${id}`);
    return this.open(record);
  }

  async list(projectId: string, page: PageRequest): Promise<Page<Webhook>> {
    const result = await this.ctx.store.listWebhooks(projectId, page);
    return { ...result, items: result.items.map((r) => this.open(r)) };
  }

  /** PATCH with an optional update_mask; without one, every field present in the body is updated. */
  async update(projectId: string, id: string, input: WebhookInput, updateMask: string | undefined): Promise<Webhook> {
    const webhook = await this.get(projectId, id);
    const fields = updateMask ? updateMask.split(",").map((f) => f.trim()).filter(Boolean) : UPDATABLE.filter((f) => input[f] !== undefined);
    for (const field of fields) {
      if (!(UPDATABLE as readonly string[]).includes(field)) {
        throw invalidArgument("update_mask", `"${field}" cannot be updated; updatable fields are ${UPDATABLE.join(", ")}`);
      }
    }
    if (fields.includes("name")) webhook.name = input.name ?? "";
    if (fields.includes("uri")) webhook.uri = validateTargetUri(input.uri, "uri", this.ctx.uriRules);
    if (fields.includes("subscribed_events")) webhook.subscribedEvents = this.validateSubscriptions(input.subscribed_events);
    if (fields.includes("state")) webhook.state = parseWebhookState(input.state ?? "", "state");
    webhook.updatedAt = this.ctx.clock.now();
    await this.ctx.store.updateWebhook(this.seal(webhook));
    return webhook;
  }

  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.ctx.store.deleteWebhook(projectId, id))) throw notFound(`webhooks/${id}`);
  }

  async rotateSecret(projectId: string, id: string, behavior: RevocationBehavior): Promise<string> {
    const webhook = await this.get(projectId, id);
    const now = this.ctx.clock.now();
    const secret = newSigningSecret(newSecretBytes());
    webhook.secrets = rotateSecrets(webhook.secrets, secret, behavior, now);
    webhook.updatedAt = now;
    await this.ctx.store.updateWebhook(this.seal(webhook));
    return secret;
  }

  /** Sends a `webhook.ping` to this webhook alone, whatever it subscribes to. */
  async ping(projectId: string, id: string): Promise<StoredEvent> {
    await this.get(projectId, id);
    const now = this.ctx.clock.now();
    const event: StoredEvent = {
      id: newEventId(),
      projectId,
      type: "webhook.ping",
      payload: { type: "webhook.ping", version: "v1", timestamp: toRfc3339(now), data: { id: `webhooks/${id}`, webhook_id: id } },
      createdAt: now,
    };
    await this.ctx.store.publishEvent(event, { kind: "webhook", webhookId: id }, now);
    this.ctx.notifyDeliveries();
    this.ctx.bus.publish(event);
    return event;
  }

  async recover(projectId: string, id: string, since: number, until: number): Promise<number> {
    await this.get(projectId, id);
    const count = await this.ctx.store.recoverDeliveries(projectId, id, since, until, this.ctx.clock.now());
    if (count > 0) this.ctx.notifyDeliveries();
    return count;
  }

  /** Disables webhooks the engine gave up on, telling the project's other webhooks with `webhook.disabled`. */
  async disable(targets: readonly WebhookToDisable[]): Promise<void> {
    for (const target of targets) {
      const now = this.ctx.clock.now();
      const event: StoredEvent = {
        id: newEventId(),
        projectId: target.projectId,
        type: "webhook.disabled",
        payload: {
          type: "webhook.disabled",
          version: "v1",
          timestamp: toRfc3339(now),
          data: { id: `webhooks/${target.webhookId}`, webhook_id: target.webhookId, reason: target.reason },
        },
        createdAt: now,
      };
      if (await this.ctx.store.disableWebhook(target.projectId, target.webhookId, target.state, event, now)) {
        this.ctx.log.warn({ webhook: target.webhookId, reason: target.reason }, "webhook disabled");
        this.ctx.bus.publish(event);
      }
    }
    this.ctx.notifyDeliveries();
  }

  private validateSubscriptions(value: unknown): string[] {
    if (!Array.isArray(value) || value.length === 0) {
      throw invalidArgument("subscribed_events", 'must be a non-empty list of event types, e.g. ["batch.succeeded"] or ["*"]');
    }
    value.forEach((entry, i) => {
      if (typeof entry !== "string") throw invalidArgument(`subscribed_events[${i}]`, "must be a string");
      validateSubscription(entry, `subscribed_events[${i}]`);
    });
    return [...new Set(value as string[])];
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

