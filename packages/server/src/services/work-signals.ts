import { Signal } from "../runtime/signal.js";
import type { DeliveryDispatch } from "./outbox.js";

/**
 * What the services tell this process's background work once a change has committed: one object, made
 * before the services and the workers, so that neither needs the other at run time. The workers listen from
 * the moment they are created; before that, or while they are not running (`--role api` never starts them),
 * a signal changes nothing, and the work waits in the store for whichever process runs it.
 */
export class WorkSignals {
  /** A batch was created (it may be runnable), or one ended other than by its run's success (stop running it). */
  readonly batches = { runnable: new Signal(), ended: new Signal<[id: string]>() };
  /** A background interaction was created, or one stopped (cancelled, failed, paused) while it may be running here. */
  readonly interactions = { runnable: new Signal(), ended: new Signal<[id: string]>() };
  /** A video operation was created. */
  readonly videos = { runnable: new Signal() };
  /** Something expires at this time (an operation's expire_time, a batch's deadline). */
  readonly expires = new Signal<[at: number]>();
  private deliveryEngine: DeliveryDispatch | undefined;

  /** The delivery engine of this process, which the outbox hands committed deliveries to (born leased) or rings. */
  readonly deliveries = (): DeliveryDispatch | undefined => this.deliveryEngine;

  /** The delivery engine, once it exists: from then on the outbox hands it what commits. */
  attachDeliveries(engine: DeliveryDispatch): void {
    this.deliveryEngine = engine;
  }
}
