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

  readonly attempts = this.counter("tidings_delivery_attempts_total", "Webhook delivery attempts by outcome.", [
    "outcome",
  ]);

  readonly attemptSeconds = this.histogram(
    "tidings_delivery_attempt_seconds",
    "Time from sending an attempt to its answer.",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );

  readonly deliveries = this.counter(
    "tidings_deliveries_total",
    "Deliveries that an attempt ended: succeeded, or failed for good (retries exhausted, or 410 Gone).",
    ["outcome"],
  );

  readonly stateChanges = this.counter(
    "tidings_state_changes_total",
    "Operations (custom, batch, video), interactions and webhooks that moved to a state: created, moved, ended, enabled, disabled, deleted.",
    ["resource", "kind", "state"],
  );

  readonly claimRounds = this.counter(
    "tidings_delivery_claim_rounds_total",
    "Times the delivery engine looked for due deliveries: a steady climb while idle would mean it spins.",
  );

  readonly workerErrors = this.counter(
    "tidings_worker_errors_total",
    "Background work that failed (a claim, a write of outcomes, an expiry sweep, a batch): each is also an error in the log.",
    ["worker"],
  );

  readonly walRestartSeconds = this.histogram(
    "tidings_sqlite_wal_restart_seconds",
    "How long the checkpoint that starts the SQLite WAL over (RESTART) ran when it passed its bound: writes wait for it.",
    [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
  );

  readonly retentionPurged = this.counter(
    "tidings_retention_purged_total",
    "Records purged because they outlived their retention (TIDINGS_RETENTION, a project's own), and files past their expireTime.",
    ["resource"],
  );

  readonly storeRoundTrips = this.counter(
    "tidings_store_round_trips_total",
    "Round trips to PostgreSQL (statements sent with none in flight; pipelined ones share one), by the delivery engine (claims, outcomes) or the rest (API, workers); zero on SQLite.",
    ["by"],
  );

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

  /** A counter in this registry; its labels are bounded (outcomes, workers, states). */
  private counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A histogram in this registry, without labels, over `buckets` (seconds). */
  private histogram(name: string, help: string, buckets: number[]): Histogram {
    return new Histogram({ name, help, buckets, registers: [this.registry] });
  }

  /** A counter kept elsewhere (it must not depend on this registry), read when /metrics is scraped. */
  readCounter(name: string, help: string, read: () => number): void {
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }

  /** A gauge read when /metrics is scraped. */
  gauge(name: string, help: string, read: () => number | Promise<number>): void {
    this.labelledGauge(name, help, [], async () => [{ labels: {}, value: await read() }]);
  }

  /** A gauge with labels, every sample read when /metrics is scraped (labels not read this time are dropped). */
  labelledGauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => Promise<GaugeSample<L>[]>,
  ): void {
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
