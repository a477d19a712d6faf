import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { SecretBox } from "../crypto/secret-box.js";
import type { ClaimedDelivery, Store } from "../store/store.js";
import type { EventBus } from "./event-bus.js";
import type { UriRules } from "./target-uri.js";

/** What the application services share: storage, time, crypto, rules for target URIs, and the engine's doorbell. */
export interface ServiceContext {
  store: Store;
  clock: Clock;
  box: SecretBox;
  uriRules: UriRules;
  log: Logger;
  /** Rung after every commit that creates deliveries, so the engine sends them without polling. */
  notifyDeliveries: () => void;
  /** When this process runs a delivery engine: how long a delivery born leased to it may stay unsettled. */
  deliveryLease: () => number | undefined;
  /** Hands deliveries born leased straight to this process's engine: no claim, no queue round trip. */
  adoptDeliveries: (deliveries: readonly ClaimedDelivery[]) => void;
  /** Live listeners of committed events (`tidings listen`). */
  bus: EventBus;
  /** Rung when an operation with an expire_time is created, so the expiry worker can sleep until it. */
  notifyExpiry: () => void;
}
