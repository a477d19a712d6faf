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
    return (await this.writeMany(tx, [{ event, target }], now))[0] as Published;
  }

  /**
   * Inside a transaction: many events and their deliveries, in a few statements whatever their number (one
   * insert of the events, one read of the candidate webhooks, one insert of the deliveries).
   */
  async writeMany(tx: StoreAggregates, items: readonly { event: StoredEvent; target: EventTarget }[], now: number): Promise<Published[]> {
    if (items.length === 0) return [];
    await tx.events.insert(items.map((i) => i.event));
    const subscribers = [...new Set(items.filter((i) => i.target.kind === "subscribers").map((i) => i.event.projectId))];
    const enabledByProject = groupBy(await tx.webhooks.listEnabled(subscribers), (w) => w.projectId);
    const lease = this.dispatch()?.lease();
    const plans: { event: StoredEvent; planned: NewDelivery[]; webhooks: readonly WebhookRecord[] }[] = [];
    for (const { event, target } of items) {
      const webhooks = target.kind === "subscribers" ? (enabledByProject.get(event.projectId) ?? []) : await candidates(tx, event.projectId, target);
      plans.push({ event, planned: planDeliveries(event, target, webhooks, now, lease), webhooks });
    }
    await tx.deliveries.insert(plans.flatMap((p) => p.planned));
    return plans.map((p) => ({ event: p.event, ...this.handOff(p.event, p.planned, p.webhooks) }));
  }

  /** Inside a transaction: more deliveries of an event already written (a redelivery keeps its webhook-id). */
  async writeDeliveries(tx: StoreAggregates, event: StoredEvent, planned: readonly NewDelivery[], webhooks: readonly WebhookRecord[]): Promise<Published> {
    await tx.deliveries.insert(planned);
    return this.handOff(event, planned, webhooks);
  }

  /** After the commit. */
  announce(...published: readonly Published[]): void {
    const dispatch = this.dispatch();
    const leased = published.flatMap((p) => p.leased);
    if (leased.length > 0) dispatch?.adopt(leased);
    if (published.some((p) => p.queued > 0)) dispatch?.wake();
    for (const { event } of published) if (event !== undefined) this.bus.publish(event);
  }

  /** What of the planned deliveries goes straight to this process's engine (born leased), in the shape it sends. */
  private handOff(event: StoredEvent, planned: readonly NewDelivery[], webhooks: readonly WebhookRecord[]): Omit<Published, "event"> {
    const body = JSON.stringify(event.payload);
    const secrets = new Map(webhooks.map((w) => [w.id, w.sealedSecrets]));
    const leased = planned
      .filter((d) => d.lease !== undefined)
      .map(({ lease: _lease, ...d }) => ({ ...d, body, sealedSecrets: d.webhookId === undefined ? undefined : secrets.get(d.webhookId) }));
    return { leased, queued: planned.length - leased.length };
  }
}

/** The static webhook a target names, if any; dynamic URIs need none. */
async function candidates(tx: StoreAggregates, projectId: string, target: Exclude<EventTarget, { kind: "subscribers" }>): Promise<WebhookRecord[]> {
  if (target.kind === "uris") return [];
  const webhook = await tx.webhooks.get(projectId, target.webhookId);
  return webhook === undefined ? [] : [webhook];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
