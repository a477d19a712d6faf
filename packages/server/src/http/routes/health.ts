import type { FastifyPluginAsync } from "fastify";
import type { Metrics } from "../../observability/metrics.js";

/** Liveness answers while the process runs; readiness also needs the store to answer; metrics for Prometheus. */
export const healthRoutes: FastifyPluginAsync<{ ready: () => Promise<boolean>; metrics: Metrics }> = async (app, { ready, metrics }) => {
  app.get("/healthz", { schema: { tags: ["health"], hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { tags: ["health"], hide: true } }, async (_req, reply) => {
    const ok = await ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "unavailable" });
  });
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => reply.header("content-type", metrics.contentType).send(await metrics.render()));
};
