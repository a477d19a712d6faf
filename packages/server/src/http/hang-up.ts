import type { FastifyReply } from "fastify";

/**
 * Runs `work` with a signal that aborts if the caller hangs up before the reply is sent, so that work nobody
 * waits for any more stops (an upstream model call, a batch input still being read).
 */
export async function untilHangUp<T>(reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableEnded) abort.abort();
  };
  reply.raw.once("close", onClose);
  try {
    return await work(abort.signal);
  } finally {
    reply.raw.off("close", onClose);
  }
}
