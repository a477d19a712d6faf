import type { FastifyPluginAsync } from "fastify";

/** Liveness answers while the process runs; readiness also needs the store to answer. */
export const healthRoutes: FastifyPluginAsync<{ ready: () => Promise<boolean> }> = async (app, { ready }) => {
  app.get("/healthz", { schema: { tags: ["health"], hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { tags: ["health"], hide: true } }, async (_req, reply) => {
    const ok = await ready().catch(() => false);
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "unavailable" });
  });
};
