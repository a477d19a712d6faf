import type { Delivery, PlannedDelivery } from "../core/deliveries.js";
import { payloadJson, type EventTarget, type NewEvent, type StoredEvent } from "../core/events.js";
import { isBornLeasable, planDeliveries } from "../core/fanout.js";
import { nextTurn } from "../runtime/sleep.js";
import type { BornLease, ClaimedDelivery, StoreAggregates, WebhookRecord } from "../store/store.js";
import type { EventBus } from "./event-bus.js";

/** The delivery engine as the outbox sees it; absent in a process that runs no engine (`--role api`). */
export interface DeliveryDispatch {
  /**
   * A lease for deliveries born leased to this engine in a transaction now open. Undefined when the engine takes
   * none now (it is stopping, or has not registered its worker yet). A lease whose transaction never commits is
   * simply never adopted.
   */
  lease(): BornLease | undefined;
  /** Takes deliveries born leased to it, once their transaction committed, and sends them without claiming them. */
  adopt(lease: BornLease, deliveries: readonly ClaimedDelivery[]): void;
  /** Something may be due: look at the queue soon. */
  wake(): void;
}

/**
 * Deliveries written per statement. A complete that fans out to many webhooks, or many completes written together,
 * are written in chunks with a turn of the event loop between them: the transaction stays one (its statements
 * wait), while other requests are answered (docs/store.md: fan-out).
 */
const FANOUT_CHUNK = 1000;

/** What a transaction wrote to the outbox, for `announce` to act on once it has committed. */
export interface Published {
  /** The new event, told to live listeners; absent for a redelivery of an old one. */
  event?: StoredEvent;
  /** Deliveries born leased to this process's engine, with the lease. */
  leased: ClaimedDelivery[];
  lease?: BornLease;
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
  async write(tx: StoreAggregates, event: NewEvent, target: EventTarget, now: number): Promise<Published> {
    return (await this.writeMany(tx, [{ event, target }], now))[0] as Published;
  }

  /**
   * Inside a transaction: many events and their deliveries, in a few statements whatever their number (one
   * insert of the events, one read of the candidate webhooks, one insert of the deliveries per FANOUT_CHUNK).
   */
  async writeMany(
    tx: StoreAggregates,
    items: readonly { event: NewEvent; target: EventTarget }[],
    now: number,
  ): Promise<Published[]> {
    if (items.length === 0) return [];
    const subscribers = [
      ...new Set(items.filter((i) => i.target.kind === "subscribers").map((i) => i.event.projectId)),
    ];
    // Asked for together: on PostgreSQL the two share a round trip (docs/store.md: round trips).
    const [events, enabled] = await Promise.all([
      tx.events.insert(items.map((i) => i.event)),
      tx.webhooks.listEnabled(subscribers),
    ]);
    const enabledByProject = groupBy(enabled, (w) => w.projectId);
    const plans: { event: StoredEvent; planned: PlannedDelivery[]; webhooks: readonly WebhookRecord[] }[] = [];
    for (const [i, { target }] of items.entries()) {
      const event = events[i] as StoredEvent;
      const webhooks =
        target.kind === "subscribers"
          ? (enabledByProject.get(event.projectId) ?? [])
          : await candidates(tx, event.projectId, target);
      plans.push({ event, planned: planDeliveries(event, target, webhooks, now), webhooks });
    }
    const planned = plans.flatMap((p) => p.planned);
    const lease = planned.length === 0 ? undefined : this.dispatch()?.lease();
    const written: Delivery[] = [];
    for (let start = 0; start < planned.length; start += FANOUT_CHUNK) {
      if (start > 0) await nextTurn();
      written.push(...(await tx.deliveries.insert(planned.slice(start, start + FANOUT_CHUNK), now, lease)));
    }
    const secrets = new Map(plans.flatMap((p) => p.webhooks.map((w) => [w.id, w.sealedSecrets] as const)));
    let next = 0;
    return plans.map((p) => {
      const mine = written.slice(next, next + p.planned.length);
      next += p.planned.length;
      const body = payloadJson(p.event.payload);
      if (lease === undefined) return { event: p.event, leased: [], queued: mine.length };
      // The store queued those claimed one engine at a time (FIFO and paced webhooks) rather than lease them.
      const leased = mine
        .filter((d) => isBornLeasable(d.endpointKey))
        .map((d) => ({ ...d, body, sealedSecrets: d.webhookId === undefined ? undefined : secrets.get(d.webhookId) }));
      return { event: p.event, leased, lease, queued: mine.length - leased.length };
    });
  }

  /** Inside a transaction: more deliveries of an event already written (a redelivery keeps its webhook-id); queued. */
  async writeDeliveries(tx: StoreAggregates, planned: readonly PlannedDelivery[], now: number): Promise<Published> {
    return { leased: [], queued: (await tx.deliveries.insertMore(planned, now)).length };
  }

  /** After the commit. */
  announce(...published: readonly Published[]): void {
    const dispatch = this.dispatch();
    const byLease = new Map<BornLease, ClaimedDelivery[]>();
    for (const p of published) {
      if (p.lease === undefined) continue;
      const deliveries = byLease.get(p.lease);
      if (deliveries === undefined) byLease.set(p.lease, [...p.leased]);
      else deliveries.push(...p.leased);
    }
    for (const [lease, deliveries] of byLease) dispatch?.adopt(lease, deliveries);
    if (published.some((p) => p.queued > 0)) dispatch?.wake();
    for (const { event } of published) if (event !== undefined) this.bus.publish(event);
  }
}

/** The static webhook a target names, if any; dynamic URIs need none. */
async function candidates(
  tx: StoreAggregates,
  projectId: string,
  target: Exclude<EventTarget, { kind: "subscribers" }>,
): Promise<WebhookRecord[]> {
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
