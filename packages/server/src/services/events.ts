import type { RedeliverEventRequest } from "@tidings/sdk/contract";
import { found, invalidArgument } from "../core/errors.js";
import type { StoredEvent } from "../core/events.js";
import { planRedelivery } from "../core/fanout.js";
import type { Page, PageRequest } from "../core/pages.js";
import type { DeliveryFilter, DeliveryWithAttempts, EventFilter, WebhookRecord } from "../store/store.js";
import type { ServiceContext } from "./context.js";

const ALL_DELIVERIES: PageRequest = { pageSize: 1000, offset: 0 };

/** Events and their deliveries: the audit trail behind every webhook. */
export class EventService {
  constructor(private readonly ctx: ServiceContext) {}

  list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    return this.ctx.store.events.list(projectId, filter, page);
  }

  async get(projectId: string, id: string): Promise<{ event: StoredEvent; deliveries: DeliveryWithAttempts[] }> {
    const event = found(await this.ctx.store.events.get(projectId, id), `events/${id}`);
    const deliveries = await this.ctx.store.deliveries.list(projectId, { eventId: id }, ALL_DELIVERIES);
    return { event, deliveries: deliveries.items };
  }

  /** New deliveries of the same event, with the same webhook-id, so receivers can still deduplicate. */
  async redeliver(projectId: string, id: string, input: RedeliverEventRequest): Promise<number> {
    const webhookId = input.webhook_id;
    const now = this.ctx.clock.now();
    const published = await this.ctx.store.transaction(async (tx) => {
      const event = found(await tx.events.get(projectId, id), `events/${id}`);
      let webhooks: WebhookRecord[];
      if (webhookId !== undefined) {
        const webhook = await tx.webhooks.get(projectId, webhookId);
        if (webhook === undefined)
          throw invalidArgument("webhook_id", `webhooks/${webhookId} not found in this project`);
        webhooks = [webhook];
      } else {
        webhooks = await tx.webhooks.listEnabled([projectId]);
      }
      const planned = planRedelivery(event, await tx.deliveries.targetsOf(id), webhooks, webhookId, now);
      return this.ctx.outbox.writeDeliveries(tx, planned, now);
    });
    this.ctx.outbox.announce(published);
    return published.leased.length + published.queued;
  }

  deliveries(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliveryWithAttempts>> {
    return this.ctx.store.deliveries.list(projectId, filter, page);
  }
}
