import type { FastifyInstance, FastifyReply } from "fastify";
import type { ServerResponse } from "node:http";
import type { EventBus } from "../services/event-bus.js";
import { payloadJson } from "../core/events.js";

/** A dropped stream's last words get this long to reach a reader that still reads; then the socket is cut. */
const DROP_GRACE_MS = 5_000;
/** Heartbeats in a row that find bytes waiting and none sent since the one before: the reader has stopped. */
const STALLED_BEATS = 2;

/**
 * What streams a project's events as they commit, until the client goes away. `named` puts each event's type
 * in the SSE `event:` field (what `tidings listen` reads); unnamed, every event is a plain message (what a
 * browser's EventSource.onmessage reads). Streams never end on their own: `app` ends them when it closes, so
 * shutdown does not wait on them.
 *
 * Each stream holds at most the bus policy's `bufferBytes` (about 1 MiB) for its reader: a reader that reads
 * slower than events come is dropped with a last comment saying why (`: dropped: …`), rather than the server
 * buffering without bound. The heartbeat comment doubles as a probe: a write to a peer that went away fails and
 * ends the stream, and a reader that has taken nothing for two heartbeats while bytes wait is dropped too. The
 * bus refuses a stream past the per-project or process cap before anything is sent, as a 429.
 */
export function eventStreamer(
  app: FastifyInstance,
  bus: EventBus,
): (projectId: string, reply: FastifyReply, options: { named: boolean }) => void {
  const open = new Set<ServerResponse>();
  const { bufferBytes, heartbeatMs } = bus.policy;
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });
  return (projectId, reply, options) => {
    const res = reply.raw;
    let ended = false;
    let sentSinceBeat = false;
    let waitingBeats = 0;
    const end = (why: string) => {
      if (ended) return;
      ended = true;
      // The connection goes with the stream (the reader reconnects): closed once the last words are out, or
      // cut after a grace period, since a reader that does not read would hold the buffer and the socket for ever.
      const socket = res.socket;
      res.end(`: dropped: ${why}\n\n`, () => socket?.end());
      setTimeout(() => socket?.destroy(), DROP_GRACE_MS).unref();
    };
    const send = (text: string) => {
      if (ended) return;
      const size = Buffer.byteLength(text);
      // One event larger than the whole allowance still goes to a reader that has caught up.
      if (res.writableLength > 0 && res.writableLength + size > bufferBytes) {
        bus.limitReached("stream_buffer");
        return end(
          `this reader fell more than ${bufferBytes} bytes behind the events; reconnect, and read what was missed with GET /v1/events`,
        );
      }
      res.write(text, () => {
        sentSinceBeat = true;
      });
    };
    // Before the reply is taken over: a stream past a cap is refused as an ordinary error (a 429).
    const unsubscribe = bus.subscribe(projectId, (event) => {
      send(`id: ${event.id}\n${options.named ? `event: ${event.type}\n` : ""}data: ${payloadJson(event.payload)}\n\n`);
    });
    reply.hijack();
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.socket?.setKeepAlive(true, heartbeatMs);
    res.write(": connected\n\n");
    open.add(res);
    const heartbeat = setInterval(() => {
      if (ended) return;
      waitingBeats = res.writableLength > 0 && !sentSinceBeat ? waitingBeats + 1 : 0;
      sentSinceBeat = false;
      if (waitingBeats >= STALLED_BEATS) {
        bus.limitReached("stream_buffer");
        return end(`this reader has read nothing for ${(STALLED_BEATS * heartbeatMs) / 1000} s`);
      }
      send(": heartbeat\n\n");
    }, heartbeatMs);
    res.on("close", () => {
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(res);
    });
  };
}
