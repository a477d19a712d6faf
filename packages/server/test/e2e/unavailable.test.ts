import { randomBytes } from "node:crypto";
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { startTidings, TEST_KEY, type TestServer } from "../helpers/tidings.js";

const DATABASE_URL = new URL(process.env.TIDINGS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test");

/**
 * A TCP relay in front of PostgreSQL that the test can cut and restore, as a network partition or a restart
 * would. It listens throughout, on a port the system chose; while cut, it drops every connection it has and
 * every one that arrives.
 */
class Partition {
  private readonly sockets = new Set<Socket>();
  private connected = false;

  private constructor(private readonly server: Server) {}

  static async listen(): Promise<Partition> {
    const server = createServer();
    const partition = new Partition(server);
    server.on("connection", (client) => partition.relay(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return partition;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get isOpen(): boolean {
    return this.connected;
  }

  open(): void {
    this.connected = true;
  }

  cut(): void {
    this.connected = false;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (!this.connected) {
      client.destroy();
      return;
    }
    const upstream = createConnection(Number(DATABASE_URL.port || 5432), DATABASE_URL.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  }
}

let server: TestServer | undefined;
let partition: Partition | undefined;
const schema = `tidings_unavailable_${randomBytes(5).toString("hex")}`;
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL.toString() });
  await client.connect();
  await client.query(sql);
  await client.end();
}
afterEach(async () => {
  partition?.open();
  await server?.close();
  await partition?.close();
  await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

describe("a database out of reach", () => {
  it("is a 503 UNAVAILABLE with Retry-After, not a 500, and the API recovers when it is back", async () => {
    await admin(`CREATE SCHEMA ${schema}`);
    partition = await Partition.listen();
    partition.open();
    const url = new URL(DATABASE_URL);
    url.port = String(partition.port);
    url.searchParams.set("options", `-c search_path=${schema}`);
    server = await startTidings({
      env: { TIDINGS_DATABASE_URL: url.toString(), TIDINGS_MASTER_KEY: randomBytes(32).toString("base64") },
    });
    expect((await server.api("GET", "/v1/webhooks")).status).toBe(200);

    partition.cut();
    const refused = await fetch(`${server.url}/v1/webhooks`, { headers: { "x-goog-api-key": TEST_KEY } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({
      error: { code: 503, status: "UNAVAILABLE", message: expect.stringMatching(/database is unavailable/) },
    });
    // A write refused the same way, and an unknown key cannot be checked either: 503, not 401.
    expect((await server.api("POST", "/v1/operations", { type: "export" })).status).toBe(503);
    expect((await server.api("GET", "/v1/webhooks", undefined, "some-other-key")).status).toBe(503);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);

    partition.open();
    await expect
      .poll(async () => (await server!.api("POST", "/v1/operations", { type: "export" })).status, { timeout: 10_000 })
      .toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
