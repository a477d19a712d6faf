import {
  emptyTally,
  fittedSpanMinutes,
  minuteOf,
  summarize,
  timeline,
  type LatencyPoint,
  type MinuteBar,
  type WindowSummary,
} from "../core/attempt-stats.js";
import type { ServiceContext } from "./context.js";

const DAY_MINUTES = 24 * 60;

/** What the dashboard shows beside a webhook: its last 24 h and its latest failure. */
export interface WebhookHealth extends WindowSummary {
  lastError?: { error: string; at: number; deliveryId: string };
}

/** Delivery statistics for the dashboard, read from the per-minute tallies the store keeps. */
export class StatsService {
  constructor(private readonly ctx: Pick<ServiceContext, "store" | "clock">) {}

  /** Each webhook's success rate and median latency over the last 24 h, and its last error. */
  async webhookHealth(projectId: string, webhookIds: readonly string[]): Promise<Map<string, WebhookHealth>> {
    const until = minuteOf(this.ctx.clock.now()) + 1;
    const [counts, errors] = await Promise.all([
      this.ctx.store.stats.byWebhook(projectId, webhookIds, until - DAY_MINUTES, until),
      this.ctx.store.stats.lastErrors(projectId, webhookIds),
    ]);
    const health = new Map<string, WebhookHealth>();
    for (const id of webhookIds) health.set(id, summarize(counts.find((c) => c.webhookId === id) ?? emptyTally()));
    for (const e of errors) {
      const entry = health.get(e.webhookId);
      if (entry !== undefined) entry.lastError = { error: e.error, at: e.at, deliveryId: e.deliveryId };
    }
    return health;
  }

  /**
   * The project's attempts per minute by outcome over the last `minutes`, and latency percentiles in about
   * `points` bins. Without `minutes`, the window fits the traffic of the last `maxMinutes` (fittedSpanMinutes).
   */
  async timeline(
    projectId: string,
    range: { minutes: number } | { fitWithin: number },
    points: number,
  ): Promise<{ minutes: number; binMinutes: number; since: number; bars: MinuteBar[]; latency: LatencyPoint[] }> {
    const until = minuteOf(this.ctx.clock.now()) + 1;
    const read = "minutes" in range ? range.minutes : range.fitWithin;
    const counts = await this.ctx.store.stats.byMinute(projectId, until - read, until);
    const minutes = "minutes" in range ? range.minutes : fittedSpanMinutes(counts, until, range.fitWithin);
    const binMinutes = Math.max(1, Math.round(minutes / points));
    const since = until - minutes;
    return { minutes, binMinutes, since, ...timeline(counts, since, until, binMinutes) };
  }
}
