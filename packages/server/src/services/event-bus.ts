import type { StoredEvent } from "../core/events.js";

type Listener = (event: StoredEvent) => void;

/**
 * Committed events, announced in-process to live listeners (the SSE stream behind `tidings listen`).
 * Delivery never depends on it: the outbox in the store is the source of truth.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  subscribe(projectId: string, listener: Listener): () => void {
    let set = this.listeners.get(projectId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(projectId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(projectId);
    };
  }

  publish(event: StoredEvent): void {
    for (const listener of this.listeners.get(event.projectId) ?? []) listener(event);
  }
}
