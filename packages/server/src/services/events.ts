import type { Attempt, Delivery, DeliveryState } from "../core/deliveries.js";
import { DELIVERY_STATES } from "../core/deliveries.js";
import { invalidArgument, notFound } from "../core/errors.js";
import type { StoredEvent } from "../core/events.js";
import type { Page, PageRequest } from "../core/pages.js";
import type { DeliveryFilter, EventFilter } from "../store/store.js";
import type { ServiceContext } from "./context.js";

const ALL_DELIVERIES: PageRequest = { pageSize: 1000, offset: 0 };

/** Events and their deliveries: the audit trail behind every webhook. */
export class EventService {
  constructor(private readonly ctx: ServiceContext) {}

  list(projectId: string, filter: EventFilter, page: PageRequest): Promise<Page<StoredEvent>> {
    return this.ctx.store.listEvents(projectId, filter, page);
  }

  async get(projectId: string, id: string): Promise<{ event: StoredEvent; deliveries: (Delivery & { attempts: Attempt[] })[] }> {
    const event = await this.ctx.store.getEvent(projectId, id);
    if (event === undefined) throw notFound(`events/${id}`);
    const deliveries = await this.ctx.store.listDeliveries(projectId, { eventId: id }, ALL_DELIVERIES);
    return { event, deliveries: deliveries.items };
  }

  /** New deliveries of the same event, with the same webhook-id, so receivers can still deduplicate. */
  async redeliver(projectId: string, id: string, webhookId: string | undefined): Promise<number> {
    await this.get(projectId, id);
    if (webhookId !== undefined && (await this.ctx.store.getWebhook(projectId, webhookId)) === undefined) {
      throw invalidArgument("webhook_id", `webhooks/${webhookId} not found in this project`);
    }
    const count = await this.ctx.store.redeliverEvent(projectId, id, webhookId, this.ctx.clock.now());
    if (count > 0) this.ctx.notifyDeliveries();
    return count;
  }

  deliveries(projectId: string, filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery & { attempts: Attempt[] }>> {
    return this.ctx.store.listDeliveries(projectId, filter, page);
  }
}

export function parseDeliveryState(value: string | undefined): DeliveryState | undefined {
  if (value === undefined || value === "") return undefined;
  if ((DELIVERY_STATES as readonly string[]).includes(value)) return value as DeliveryState;
  throw invalidArgument("state", `unknown delivery state "${value}"; expected one of ${DELIVERY_STATES.join(", ")}`);
}
