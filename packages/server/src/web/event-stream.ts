import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerResponse } from "node:http";
import type { EventBus } from "../services/event-bus.js";

const HEARTBEAT_MS = 15_000;

/**
 * What streams a project's events as they commit, until the client goes away. `named` puts each event's type
 * in the SSE `event:` field (what `tidings listen` reads); unnamed, every event is a plain message (what a
 * browser's EventSource.onmessage reads). Streams never end on their own: `app` ends them when it closes, so
 * shutdown does not wait on them.
 */
export function eventStreamer(app: FastifyInstance, bus: EventBus): (projectId: string, reply: FastifyReply, options: { named: boolean }) => void {
  const open = new Set<ServerResponse>();
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });
  return (projectId, reply, options) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.write(": connected\n\n");
    open.add(res);
    const unsubscribe = bus.subscribe(projectId, (event) => {
      res.write(`id: ${event.id}\n${options.named ? `event: ${event.type}\n` : ""}data: ${JSON.stringify(event.payload)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_MS);
    res.on("close", () => {
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    });
  };
}
