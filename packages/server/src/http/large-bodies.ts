import type { FastifyReply, FastifyRequest } from "fastify";
import { LimitExceededError, type LimitName } from "../core/limits.js";
import { ConcurrencyLimiter } from "../providers/limiter.js";
import { BODY_LIMIT_BYTES } from "../web/rpc-status.js";

/** Bodies waiting for a turn, per slot; past that many a large body is refused rather than queued. */
const WAITING_PER_SLOT = 4;

/**
 * TIDINGS_MAX_LARGE_BODIES: a route that takes bodies past the usual 1 MiB (an inline batch: 64 MiB, several
 * times that once parsed) reads at most this many at once. The others wait their turn unread (TCP holds them
 * back), and past a short queue they are a 429. A preParsing hook: it runs before a byte of the body is read.
 */
export function largeBodyGate(slots: number, onLimit: (limit: LimitName) => void) {
  const limiter = new ConcurrencyLimiter(slots);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!isLarge(req)) return;
    if (limiter.queued >= slots * WAITING_PER_SLOT) {
      onLimit("large_bodies");
      throw new LimitExceededError(
        "large_bodies",
        `${slots} large request bodies are being read and ${limiter.queued} wait (TIDINGS_MAX_LARGE_BODIES); retry shortly, or upload the requests as a file`,
        429,
        1,
      );
    }
    // The slot is held until the reply is done (the parsed body lives that long); a caller that hung up while
    // waiting hands it straight on.
    await new Promise<void>((admitted) => {
      void limiter.run(() => {
        admitted();
        return new Promise<void>((done) => (reply.raw.closed ? done() : reply.raw.once("close", done)));
      });
    });
  };
}

/** A body this route allows past the default limit, declared larger than it or of unknown size (chunked). */
function isLarge(req: FastifyRequest): boolean {
  if ((req.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES) <= BODY_LIMIT_BYTES) return false;
  const length = req.headers["content-length"];
  return length === undefined ? req.headers["transfer-encoding"] !== undefined : Number(length) > BODY_LIMIT_BYTES;
}
