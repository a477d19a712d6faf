import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP proxy in front of PostgreSQL that can hold the server's answers: while it holds, what the client sends still
 * goes through and is counted, so a test sees what a client writes before it has heard anything back. It counts
 * requests: a simple query (`Q`) or the `Sync` (`S`) that ends an extended one (PostgreSQL's protocol, "Message
 * Flow"). Holding starts with the client idle, so its bytes then start at a message's boundary.
 */
export class PgWireProxy {
  private readonly server: Server;
  private readonly held: { socket: Socket; chunk: Buffer }[] = [];
  private holding = false;
  private requests = 0;
  private pending = Buffer.alloc(0);
  private readonly sockets = new Set<Socket>();

  private constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      const upstream = createConnection(target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
      }
      client.on("data", (chunk) => {
        if (this.holding) this.count(chunk);
        upstream.write(chunk);
      });
      upstream.on("data", (chunk) => {
        if (this.holding) this.held.push({ socket: client, chunk });
        else client.write(chunk);
      });
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
  }

  /** A proxy on 127.0.0.1, port 0, to the host and port of `databaseUrl`; `url` is the same URL through it. */
  static async start(databaseUrl: string): Promise<{ proxy: PgWireProxy; url: string }> {
    const target = new URL(databaseUrl);
    const proxy = new PgWireProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    const address = proxy.server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy has no port");
    const url = new URL(databaseUrl);
    url.hostname = "127.0.0.1";
    url.port = String(address.port);
    return { proxy, url: url.toString() };
  }

  /** From now on, the server's answers wait and the client's requests are counted. */
  hold(): void {
    this.holding = true;
    this.requests = 0;
    this.pending = Buffer.alloc(0);
  }

  /** Requests the client sent since `hold`. */
  requestsSent(): number {
    return this.requests;
  }

  /** The answers held go out, and the proxy passes everything again. */
  release(): void {
    this.holding = false;
    for (const { socket, chunk } of this.held.splice(0)) socket.write(chunk);
  }

  /** Drops every connection through the proxy, with what it held; new ones are still accepted. */
  cut(): void {
    this.held.length = 0;
    this.holding = false;
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.release();
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Frontend messages: a type byte and a length that counts itself but not the type. */
  private count(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 5) {
      const length = this.pending.readInt32BE(1);
      if (this.pending.length < 1 + length) return;
      const type = String.fromCharCode(this.pending[0] as number);
      if (type === "Q" || type === "S") this.requests++;
      this.pending = this.pending.subarray(1 + length);
    }
  }
}
