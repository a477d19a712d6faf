import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { TidingsError } from "../../core/errors.js";
import type { Metrics } from "../../observability/metrics.js";

/**
 * Where /metrics is served: beside the API, behind TIDINGS_METRICS_TOKEN if one is set; or on TIDINGS_METRICS_ADDR
 * only.
 */
export interface MetricsAccess {
  servedHere: boolean;
  token?: string;
}

/** Liveness answers while the process runs; readiness also needs the store to answer; metrics for Prometheus. */
export const healthRoutes: FastifyPluginAsync<{
  ready: () => Promise<boolean>;
  metrics: Metrics;
  metricsAccess: MetricsAccess;
}> = async (app, { ready, metrics, metricsAccess }) => {
  app.get("/healthz", { schema: { tags: ["health"], hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { tags: ["health"], hide: true } }, async (_req, reply) => {
    const ok = await ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "unavailable" });
  });
  if (!metricsAccess.servedHere) return;
  const allowed = metricsTokenCheck(metricsAccess.token);
  app.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    if (!allowed(req.headers.authorization)) {
      throw new TidingsError(
        "UNAUTHENTICATED",
        "/metrics needs TIDINGS_METRICS_TOKEN, sent as Authorization: Bearer TOKEN",
      );
    }
    return reply.header("content-type", metrics.contentType).send(await metrics.render());
  });
};

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Whether an Authorization header carries the metrics token (always, when none is configured). Compared in
 * constant time, on hashes so that the lengths match too.
 */
export function metricsTokenCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = sha256(token);
  return (authorization) =>
    authorization?.startsWith("Bearer ") === true &&
    timingSafeEqual(sha256(authorization.slice("Bearer ".length).trim()), expected);
}
