import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eventPayloadProblem } from "./event-schemas.js";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What the receiver answers to its n-th request (0-based): a status, or "hang" to never answer. */
export type Responder = (
  n: number,
  req: Received,
) => { status: number; headers?: Record<string, string>; delayMs?: number } | "hang";

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves once at least `count` requests arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * Deliveries that did not match their schema in the event catalogue, while checking is on (the e2e tier's setup turns
 * it on).
 */
const catalogueViolations: string[] = [];
let checkingCatalogue = false;
let checkedCount = 0;

/** Every receiver started from now on checks each request it records against the event catalogue. */
export function checkDeliveriesAgainstCatalogue(): void {
  checkingCatalogue = true;
}

/** The violations recorded since the last call, and how many deliveries were checked; both start again. */
export function takeCatalogueResults(): { violations: string[]; checked: number } {
  const results = { violations: catalogueViolations.splice(0), checked: checkedCount };
  checkedCount = 0;
  return results;
}

/** A real HTTP endpoint on 127.0.0.1 that records every request it gets. */
export async function startReceiver(respond: Responder = () => ({ status: 200 }), port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const hanging = new Set<import("node:http").ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry: Received = {
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const n = received.length;
      received.push(entry);
      if (checkingCatalogue) {
        checkedCount++;
        const problem = eventPayloadProblem(entry.body);
        if (problem !== undefined) catalogueViolations.push(`${entry.path}: ${problem}`);
      }
      for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
      const answer = respond(n, entry);
      if (answer === "hang") {
        hanging.add(res);
        return;
      }
      const reply = () => res.writeHead(answer.status, answer.headers).end("ok");
      if (answer.delayMs === undefined) reply();
      else setTimeout(reply, answer.delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/hook`,
    received,
    waitFor(count, timeoutMs = 20_000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${received.length} of ${count} requests in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(received)) });
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
