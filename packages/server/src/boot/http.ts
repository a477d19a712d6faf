import type { FastifyInstance } from "fastify";
import { listeningUrl } from "../config.js";
import { dashboard } from "../dashboard/plugin.js";
import { buildApp } from "../http/app.js";
import type { Services } from "../services/index.js";
import { VERSION } from "../version.js";
import type { Infrastructure } from "./infrastructure.js";

const SHUTDOWN_GRACE_MS = 5_000;

export interface HttpServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/**
 * The API and, beside it, the dashboard (or, on a worker-only process, health, metrics and keys), listening.
 * The two are siblings over the services: neither mounts nor imports the other.
 */
export async function startHttp(
  infra: Infrastructure,
  services: Services,
  rotateSigningKey: () => Promise<{ kid: string; activatesAt: number }>,
): Promise<HttpServer> {
  const { config } = infra;
  const app = await buildApp({
    apiRoutes: config.role !== "worker",
    services,
    clock: infra.clock,
    log: infra.log,
    adminKey: config.adminKey,
    version: VERSION,
    jwks: () => infra.keyRing.jwks(),
    rotateSigningKey,
    bus: infra.bus,
    metrics: infra.metrics,
    tracing: infra.tracing,
  });
  if (config.role !== "worker") {
    await app.register(dashboard, {
      prefix: "/dashboard",
      services,
      bus: infra.bus,
      clock: infra.clock,
      sealer: infra.box,
      secureCookies: config.publicUrl?.startsWith("https:") ?? false,
    });
  }
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  return {
    app,
    url: listeningUrl(config.host, port),
    async close() {
      // Requests in flight get a grace period; a connection still open after it is cut, so shutdown
      // cannot hang on a client that went away mid-request.
      const grace = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await app.close();
      clearTimeout(grace);
    },
  };
}
