import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { FastifyInstance } from "fastify";
import { listeningUrl } from "../config.js";
import { dashboard } from "../dashboard/plugin.js";
import { buildApp } from "../http/app.js";
import { metricsTokenCheck } from "../http/routes/health.js";
import type { Metrics } from "../observability/metrics.js";
import type { Services } from "../services/index.js";
import { VERSION } from "../version.js";
import type { Infrastructure } from "./infrastructure.js";

const SHUTDOWN_GRACE_MS = 5_000;
/** The connection cap when the open-file limit cannot be read. */
const FALLBACK_MAX_CONNECTIONS = 4_096;

export interface HttpServer {
  app: FastifyInstance;
  url: string;
  /** Where /metrics listens when TIDINGS_METRICS_ADDR puts it apart from the API. */
  metricsUrl?: string;
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
    limits: config.limits,
    metricsAccess: { servedHere: config.metricsAddress === undefined, token: config.metricsToken },
  });
  // Past this many open connections new ones are closed at once, so that the process keeps file descriptors
  // for its database, its files and its deliveries whatever clients do.
  app.server.maxConnections = config.limits.maxConnections ?? defaultMaxConnections();
  app.server.on("drop", () => infra.metrics.limitReached("connections"));
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
  const metricsServer =
    config.metricsAddress === undefined
      ? undefined
      : await serveMetrics(infra.metrics, config.metricsAddress, config.metricsToken);
  return {
    app,
    url: listeningUrl(config.host, port),
    metricsUrl: metricsServer?.url,
    async close() {
      // Requests in flight get a grace period; a connection still open after it is cut, so shutdown
      // cannot hang on a client that went away mid-request.
      const grace = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await app.close();
      clearTimeout(grace);
      await metricsServer?.close();
    },
  };
}

/**
 * Half the process's open-file limit (RLIMIT_NOFILE, read from /proc/self/limits): the other half stays for the
 * database, files, outgoing deliveries and the event loop's own.
 */
function defaultMaxConnections(): number {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    const soft = line?.[1];
    if (soft === undefined || soft === "unlimited") return FALLBACK_MAX_CONNECTIONS;
    return Math.max(64, Math.floor(Number(soft) / 2));
  } catch {
    return FALLBACK_MAX_CONNECTIONS;
  }
}

/**
 * TIDINGS_METRICS_ADDR: /metrics alone on an address of its own (a private interface, a scrape port), so the
 * public listener does not serve it. Plain node:http: nothing else is served there.
 */
async function serveMetrics(
  metrics: Metrics,
  at: { host: string; port: number },
  token: string | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const allowed = metricsTokenCheck(token);
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("only /metrics is served here\n");
      return;
    }
    if (!allowed(req.headers.authorization)) {
      res
        .writeHead(401, { "content-type": "text/plain" })
        .end("send TIDINGS_METRICS_TOKEN as Authorization: Bearer TOKEN\n");
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("could not collect the metrics\n"),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : at.port;
  return {
    url: listeningUrl(at.host, port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would hold the close open.
        server.closeAllConnections();
      }),
  };
}
