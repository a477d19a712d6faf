import pg from "pg";

/**
 * Cross-process wake-ups. Several `tidings serve` processes share one database; a commit in one that
 * makes deliveries due wakes the delivery engines of all, instead of leaving them to their next poll.
 * The payload is the schema the deliveries live in: channels are database-wide, so installations (or
 * test runs) in other schemas of the same database must not wake each other.
 */
export const DELIVERIES_CHANNEL = "tidings_deliveries";

/** A dedicated connection that LISTENs, and reconnects when the connection drops. */
export class DeliveriesListener {
  private client?: pg.Client;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly onNotify: () => void,
    private readonly reconnectDelayMs = 1000,
  ) {}

  /** Resolves once LISTEN is in place, so no later commit is missed; rejects if the database is unreachable. */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    // Without an 'error' listener a dropped connection would crash the process.
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      // The same connection settings as the store's pool, so the same schema as the one its NOTIFYs name.
      const { rows } = await client.query<{ schema: string | null }>("SELECT current_schema() AS schema");
      const schema = rows[0]?.schema ?? null;
      client.on("notification", (message) => {
        if (message.channel === DELIVERIES_CHANNEL && message.payload === schema) this.onNotify();
      });
      await client.query(`LISTEN ${DELIVERIES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.stopped) {
      await client.end();
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.stopped || client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        // Notifications sent while disconnected are lost: wake once in case one of them mattered.
        () => {
          if (!this.stopped) this.onNotify();
        },
        () => {
          if (!this.stopped) this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
    this.retryTimer.unref();
  }
}
