import type { StoredEvent } from "../core/events.js";
import { LimitExceededError, type LimitName } from "../core/limits.js";
import { refused } from "./limits.js";

type Listener = (event: StoredEvent) => void;

/** What one live stream may take: how many are open, and what each may hold unsent. */
export interface EventStreamPolicy {
  /** TIDINGS_MAX_STREAMS_PER_PROJECT: open streams per project (the API's and the dashboard's together). */
  maxPerProject: number;
  /** TIDINGS_MAX_STREAMS: open streams in this process. */
  maxTotal: number;
  /** Bytes a stream may hold for a reader that reads slower than events come; past it the stream is dropped. */
  bufferBytes: number;
  /** How often an idle stream sends a comment, which also finds readers that stopped reading or went away. */
  heartbeatMs: number;
}

/** About 1 MiB per reader: a few hundred ordinary events, or one of the largest. */
export const STREAM_BUFFER_BYTES = 1024 * 1024;
export const STREAM_HEARTBEAT_MS = 15_000;

const UNLIMITED: EventStreamPolicy = {
  maxPerProject: Number.POSITIVE_INFINITY,
  maxTotal: Number.POSITIVE_INFINITY,
  bufferBytes: STREAM_BUFFER_BYTES,
  heartbeatMs: STREAM_HEARTBEAT_MS,
};

/**
 * Committed events, announced in-process to live listeners (the SSE streams behind `tidings listen` and the
 * dashboard). Delivery never depends on it: the outbox in the store is the source of truth. It also keeps the
 * streams' count, so that one project cannot hold every socket the process has.
 */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener>>();
  private open = 0;

  constructor(
    readonly policy: EventStreamPolicy = UNLIMITED,
    private readonly onLimit?: (limit: LimitName) => void,
  ) {}

  /** Adds a listener, or throws RESOURCE_EXHAUSTED when the project, or the process, has as many as it may. */
  subscribe(projectId: string, listener: Listener): () => void {
    let set = this.listeners.get(projectId);
    const { maxPerProject, maxTotal } = this.policy;
    if ((set?.size ?? 0) >= maxPerProject) {
      throw this.refuse(
        "streams_per_project",
        `this project has ${maxPerProject} event streams open, the most TIDINGS_MAX_STREAMS_PER_PROJECT allows; close one (each tidings listen and dashboard tab holds one), then retry`,
      );
    }
    if (this.open >= maxTotal) {
      throw this.refuse(
        "streams",
        `this server has ${maxTotal} event streams open, the most TIDINGS_MAX_STREAMS allows; retry later`,
      );
    }
    if (set === undefined) {
      set = new Set();
      this.listeners.set(projectId, set);
    }
    const entry: Listener = (event) => listener(event);
    set.add(entry);
    this.open += 1;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.open -= 1;
      set.delete(entry);
      if (set.size === 0) this.listeners.delete(projectId);
    };
  }

  publish(event: StoredEvent): void {
    for (const listener of this.listeners.get(event.projectId) ?? []) listener(event);
  }

  /** Counts a stream dropped for a limit after it began (its reader fell too far behind). */
  limitReached(limit: LimitName): void {
    this.onLimit?.(limit);
  }

  private refuse(limit: LimitName, message: string): LimitExceededError {
    return refused({ onLimit: this.onLimit }, new LimitExceededError(limit, message));
  }
}
