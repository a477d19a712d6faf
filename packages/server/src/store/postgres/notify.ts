import pg from "pg";

/**
 * Cross-process wake-ups. Several `tidings serve` processes share one database; a commit in one that
 * makes deliveries due wakes the delivery engines of all, instead of leaving them to their next poll.
 * The payload is the schema the deliveries live in: channels are database-wide, so installations (or
 * test runs) in other schemas of the same database must not wake each other.
 */
export const DELIVERIES_CHANNEL = "tidings_deliveries";

/**
 * An API key deleted or signed out, by Tidings or by hand: a trigger on `api_keys` (migration 0010) notifies,
 * and every process forgets the keys it remembered. Its payload is the schema too.
 */
export const API_KEYS_CHANNEL = "tidings_api_keys";

/**
 * One dedicated connection per process that LISTENs on every channel the process follows, and reconnects when
 * the connection drops. It connects with the first subscriber and ends with the last.
 */
export class NotificationListener {
  private readonly handlers = new Map<string, Set<() => void>>();
  private client?: pg.Client;
  /** The channels the current connection LISTENs on. */
  private listening = new Set<string>();
  private connecting?: Promise<void>;
  private schema: string | null = null;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly reconnectDelayMs = 1000,
  ) {}

  /**
   * Calls `onNotify` at every notification on `channel` for this schema, and once after a reconnect (what was
   * sent meanwhile is lost). Resolves once listening, so no later commit is missed; rejects if the database is
   * unreachable. The returned function unsubscribes.
   */
  async subscribe(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    const entry = () => onNotify();
    set.add(entry);
    try {
      if (this.client === undefined) await this.connect();
      // A connection opened for another channel meanwhile may not have this one yet.
      await this.listen(this.client, channel);
    } catch (error) {
      this.remove(channel, entry);
      throw error;
    }
    return async () => {
      this.remove(channel, entry);
      if (this.handlers.size === 0) await this.stop();
      else if (!this.handlers.has(channel)) {
        this.listening.delete(channel);
        await this.client?.query(`UNLISTEN ${channel}`).catch(() => {});
      }
    };
  }

  private async listen(client: pg.Client | undefined, channel: string): Promise<void> {
    if (client === undefined || this.listening.has(channel)) return;
    await client.query(`LISTEN ${channel}`);
    this.listening.add(channel);
  }

  /** Ends the connection whoever still listens; nothing reconnects it. */
  async stop(): Promise<void> {
    this.handlers.clear();
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = undefined;
    this.listening.clear();
    await client?.end();
  }

  private remove(channel: string, entry: () => void): void {
    const set = this.handlers.get(channel);
    set?.delete(entry);
    if (set?.size === 0) this.handlers.delete(channel);
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client(this.config);
    // Without an 'error' listener a dropped connection would crash the process.
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      // The same connection settings as the store's pool, so the same schema as the one its NOTIFYs name.
      const { rows } = await client.query<{ schema: string | null }>("SELECT current_schema() AS schema");
      this.schema = rows[0]?.schema ?? null;
      client.on("notification", (message) => {
        if (message.payload !== this.schema) return;
        for (const handler of this.handlers.get(message.channel) ?? []) handler();
      });
      const channels = [...this.handlers.keys()];
      for (const channel of channels) await client.query(`LISTEN ${channel}`);
      this.listening = new Set(channels);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.handlers.size === 0) {
      await client.end();
      return;
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retryTimer = setTimeout(() => {
      if (this.handlers.size === 0) return;
      this.connect().then(
        // Notifications sent while disconnected are lost: wake everyone once in case one of them mattered.
        () => {
          for (const set of [...this.handlers.values()]) for (const handler of set) handler();
        },
        () => this.scheduleReconnect(),
      );
    }, this.reconnectDelayMs);
    this.retryTimer.unref();
  }
}
