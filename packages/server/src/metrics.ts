/** A few process-wide numbers in the Prometheus text format; no client library needed for this little. */
type Labels = Record<string, string>;

const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

function key(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`)
    .join(",");
}

export class Metrics {
  private readonly attempts = new Map<string, number>();
  private readonly latency = { buckets: LATENCY_BUCKETS_MS.map(() => 0), count: 0, sum: 0 };
  private readonly gauges = new Map<string, () => number>();
  private claimRounds = 0;

  countAttempt(outcome: "succeeded" | "retry" | "failed" | "gone", latencyMs: number): void {
    const k = key({ outcome });
    this.attempts.set(k, (this.attempts.get(k) ?? 0) + 1);
    this.latency.count++;
    this.latency.sum += latencyMs / 1000;
    LATENCY_BUCKETS_MS.forEach((le, i) => {
      if (latencyMs <= le) this.latency.buckets[i]!++;
    });
  }

  /** Each time the delivery engine looks at the queue: a steady climb while idle would mean it spins. */
  countClaimRound(): void {
    this.claimRounds++;
  }

  gauge(name: string, read: () => number): void {
    this.gauges.set(name, read);
  }

  render(): string {
    const lines = ["# HELP tidings_delivery_attempts_total Webhook delivery attempts by outcome.", "# TYPE tidings_delivery_attempts_total counter"];
    for (const [labels, value] of this.attempts) lines.push(`tidings_delivery_attempts_total{${labels}} ${value}`);
    lines.push("# HELP tidings_delivery_attempt_seconds Time from sending an attempt to its answer.", "# TYPE tidings_delivery_attempt_seconds histogram");
    LATENCY_BUCKETS_MS.forEach((le, i) => lines.push(`tidings_delivery_attempt_seconds_bucket{le="${le / 1000}"} ${this.latency.buckets[i]}`));
    lines.push(`tidings_delivery_attempt_seconds_bucket{le="+Inf"} ${this.latency.count}`);
    lines.push(`tidings_delivery_attempt_seconds_sum ${this.latency.sum}`, `tidings_delivery_attempt_seconds_count ${this.latency.count}`);
    lines.push("# HELP tidings_delivery_claim_rounds_total Times the delivery engine looked for due deliveries.", "# TYPE tidings_delivery_claim_rounds_total counter");
    lines.push(`tidings_delivery_claim_rounds_total ${this.claimRounds}`);
    for (const [name, read] of this.gauges) lines.push(`# TYPE ${name} gauge`, `${name} ${read()}`);
    return `${lines.join("\n")}\n`;
  }
}
