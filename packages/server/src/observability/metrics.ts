import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

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

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
