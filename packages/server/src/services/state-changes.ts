import type { Logger } from "pino";

/** A resource moved to a new state: one log line each, and a count on /metrics. */
export interface StateChange {
  resource: "operation" | "interaction" | "webhook";
  /** `custom`, `batch` or `video` for operations; `interaction`; `webhook`. Bounded: it labels a metric. */
  kind: string;
  /** `operations/…`, `batches/…`, `models/…/operations/…`, `interactions/…`, `webhooks/…`. */
  name: string;
  state: string;
  detail?: Record<string, unknown>;
  /** warn for what an operator should look at (a webhook disabled by its failures). */
  level?: "info" | "warn";
}

export function reportStateChange(
  ctx: { log: Logger; onStateChange?: (change: StateChange) => void },
  change: StateChange,
): void {
  ctx.log[change.level ?? "info"](
    { resource: change.resource, kind: change.kind, name: change.name, state: change.state, ...change.detail },
    `${change.name} is ${change.state}`,
  );
  ctx.onStateChange?.(change);
}
