import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { LIMIT_NAMES, type LimitName } from "../core/limits.js";

/** One labelled value of a gauge read at scrape time. */
export interface GaugeSample<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/**
 * The process's Prometheus metrics (prom-client): the default process metrics (event-loop lag, GC, heap)
 * plus Tidings' own. Labels are bounded: outcomes, workers and states, never an event, a URL or a key.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly attempts = new Counter({
    name: "tidings_delivery_attempts_total",
    help: "Webhook delivery attempts by outcome.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly attemptSeconds = new Histogram({
    name: "tidings_delivery_attempt_seconds",
    help: "Time from sending an attempt to its answer.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: "tidings_deliveries_total",
    help: "Deliveries that an attempt ended: succeeded, or failed for good (retries exhausted, or 410 Gone).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly stateChanges = new Counter({
    name: "tidings_state_changes_total",
    help: "Operations (custom, batch, video), interactions and webhooks that moved to a state: created, moved, ended, enabled, disabled, deleted.",
    labelNames: ["resource", "kind", "state"] as const,
    registers: [this.registry],
  });

  readonly claimRounds = new Counter({
    name: "tidings_delivery_claim_rounds_total",
    help: "Times the delivery engine looked for due deliveries: a steady climb while idle would mean it spins.",
    registers: [this.registry],
  });

  readonly workerErrors = new Counter({
    name: "tidings_worker_errors_total",
    help: "Background work that failed (a claim, a write of outcomes, an expiry sweep, a batch): each is also an error in the log.",
    labelNames: ["worker"] as const,
    registers: [this.registry],
  });

  readonly storeRoundTrips = new Counter({
    name: "tidings_store_round_trips_total",
    help: "Statements sent to PostgreSQL (round trips), by the delivery engine (claims, outcomes) or the rest (API, workers); zero on SQLite.",
    labelNames: ["by"] as const,
    registers: [this.registry],
  });

  readonly limitRejections = new Counter({
    name: "tidings_limit_rejections_total",
    help: "Requests, streams and connections refused or dropped because a limit was reached, by limit (README: Configuration).",
    labelNames: ["limit"] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every limit shows from the first scrape, at 0, so an alert on its rate needs no special case.
    for (const limit of LIMIT_NAMES) this.limitRejections.inc({ limit }, 0);
  }

  /** Counts a refusal: what every limit calls when it turns something away. */
  readonly limitReached = (limit: LimitName): void => {
    this.limitRejections.inc({ limit });
  };

  /** A gauge read when /metrics is scraped. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }

  /** A gauge with labels, every sample read when /metrics is scraped (labels not read this time are dropped). */
  labelledGauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<GaugeSample<L>[]>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const samples = await read();
        this.reset();
        for (const sample of samples) this.set(sample.labels, sample.value);
      },
    });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
