import type { Lease, NewDelivery } from "../core/deliveries.js";
import type { EventTarget, StoredEvent } from "../core/events.js";
import { planDeliveries } from "../core/fanout.js";
import type { ClaimedDelivery, StoreAggregates, WebhookRecord } from "../store/store.js";
import type { EventBus } from "./event-bus.js";

/** The delivery engine as the outbox sees it; absent in a process that runs no engine (`--role api`). */
export interface DeliveryDispatch {
  /** A lease for deliveries born leased to this engine now. */
  lease(): Lease | undefined;
  /** Takes deliveries born leased to it and sends them without claiming them. */
  adopt(deliveries: readonly ClaimedDelivery[]): void;
  /** Something may be due: look at the queue soon. */
  wake(): void;
}

/** What a transaction wrote to the outbox, for `announce` to act on once it has committed. */
export interface Published {
  /** The new event, told to live listeners; absent for a redelivery of an old one. */
  event?: StoredEvent;
  /** Deliveries born leased to this process's engine. */
  leased: ClaimedDelivery[];
  /** Deliveries left in the queue for any engine to claim. */
  queued: number;
}

/**
 * The transactional outbox: inside a transaction, an event and one delivery per target are written with the
 * state change that caused them; after the commit, `announce` hands the deliveries to this process's engine
 * (born leased: no claim, no polling) or rings it, and tells live listeners (`tidings listen`).
 */
export class Outbox {
  constructor(
    private readonly dispatch: () => DeliveryDispatch | undefined,
    private readonly bus: EventBus,
  ) {}

  /** Inside a transaction: the event and its deliveries to `target`. */
  async write(tx: StoreAggregates, event: StoredEvent, target: EventTarget, now: number): Promise<Published> {
    await tx.events.insert(event);
    const webhooks = await candidates(tx, event.projectId, target);
    const planned = planDeliveries(event, target, webhooks, now, this.dispatch()?.lease());
    return { event, ...(await this.insert(tx, event, planned, webhooks)) };
  }

  /** Inside a transaction: more deliveries of an event already written (a redelivery keeps its webhook-id). */
  async writeDeliveries(tx: StoreAggregates, event: StoredEvent, planned: readonly NewDelivery[], webhooks: readonly WebhookRecord[]): Promise<Published> {
    return this.insert(tx, event, planned, webhooks);
  }

  /** After the commit. */
  announce(published: Published): void {
    const dispatch = this.dispatch();
    if (published.leased.length > 0) dispatch?.adopt(published.leased);
    if (published.queued > 0) dispatch?.wake();
    if (published.event !== undefined) this.bus.publish(published.event);
  }

  private async insert(tx: StoreAggregates, event: StoredEvent, planned: readonly NewDelivery[], webhooks: readonly WebhookRecord[]): Promise<Omit<Published, "event">> {
    await tx.deliveries.insert(planned);
    const body = JSON.stringify(event.payload);
    const secrets = new Map(webhooks.map((w) => [w.id, w.sealedSecrets]));
    const leased = planned
      .filter((d) => d.lease !== undefined)
      .map(({ lease: _lease, ...d }) => ({ ...d, body, sealedSecrets: d.webhookId === undefined ? undefined : secrets.get(d.webhookId) }));
    return { leased, queued: planned.length - leased.length };
  }
}

/** The static webhooks a target may reach; dynamic URIs need none. */
async function candidates(tx: StoreAggregates, projectId: string, target: EventTarget): Promise<WebhookRecord[]> {
  switch (target.kind) {
    case "uris":
      return [];
    case "webhook": {
      const webhook = await tx.webhooks.get(projectId, target.webhookId);
      return webhook === undefined ? [] : [webhook];
    }
    case "subscribers":
      return tx.webhooks.listEnabled(projectId);
  }
}
