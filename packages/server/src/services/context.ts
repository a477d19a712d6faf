import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import type { LimitName } from "../core/limits.js";
import type { SecretBox } from "../crypto/secret-box.js";
import type { Store } from "../store/store.js";
import type { Outbox } from "./outbox.js";
import type { StateChange } from "./state-changes.js";
import type { UriRules } from "./target-uri.js";
import type { WorkSignals } from "./work-signals.js";

/** What the application services share: storage and its outbox, time, crypto, and rules for target URIs. */
export interface ServiceContext {
  store: Store;
  outbox: Outbox;
  clock: Clock;
  box: SecretBox;
  uriRules: UriRules;
  log: Logger;
  /** What the services tell this process's background work (new work, an item ended, a deadline set). */
  signals: WorkSignals;
  /** Told of every state change the services make (after the commit), for /metrics. */
  onStateChange?: (change: StateChange) => void;
  /** Told of every request a limit refused, for /metrics. */
  onLimit?: (limit: LimitName) => void;
}
