import swagger from "@fastify/swagger";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Clock } from "../core/clock.js";
import { invalidArgument } from "../core/errors.js";
import { LimitExceededError } from "../core/limits.js";
import { JsonTooDeepError, parseJson } from "../core/json.js";
import type { Metrics } from "../observability/metrics.js";
import { failureStatus } from "../providers/failure-status.js";
import { ProviderError } from "../providers/provider.js";
import type { Tracing } from "../observability/tracing.js";
import type { EventBus } from "../services/event-bus.js";
import type { Services } from "../services/index.js";
import { authenticate } from "./auth.js";
import { embeddedDownloadUrl } from "./embedded-download.js";
import { answerClientError, answerFrameworkError, MAX_PATH_PARAM_LENGTH } from "./framework-errors.js";
import { largeBodyGate } from "./large-bodies.js";
import { projectRateLimit } from "./rate-limit.js";
import { batchRoutes } from "./routes/batches.js";
import { eventRoutes } from "./routes/events.js";
import { eventTypeRoutes } from "./routes/event-types.js";
import { fileRoutes, fileTransferRoutes } from "./routes/files.js";
import { healthRoutes, type MetricsAccess } from "./routes/health.js";
import { idempotentCreates } from "./idempotency.js";
import { interactionRoutes } from "./routes/interactions.js";
import { modelRoutes } from "./routes/models.js";
import { operationRoutes } from "./routes/operations.js";
import { portalLinkRoutes } from "./routes/portal-links.js";
import { projectRoutes } from "./routes/projects.js";
import { signingKeyRoutes } from "./routes/signing-keys.js";
import { videoRoutes } from "./routes/videos.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { BODY_LIMIT_BYTES, rpcStatus, toRpcStatus, UNAVAILABLE_RETRY_AFTER_S } from "../web/rpc-status.js";
import { enforceContract, validationViolation } from "./validation.js";

export interface AppDeps {
  /** False on a worker-only process: it serves health, metrics and keys, not the API. */
  apiRoutes: boolean;
  services: Services;
  clock: Clock;
  log: Logger;
  adminKey: string | undefined;
  version: string;
  jwks: () => Promise<{ keys: Record<string, unknown>[] }>;
  rotateSigningKey: () => Promise<{ kid: string; activatesAt: number }>;
  bus: EventBus;
  metrics: Metrics;
  /** Present when OTLP tracing is configured: a span per request. */
  tracing?: Tracing;
  limits: HttpLimits;
  /** How /metrics is served: beside the API (with a token, if set), or not at all here (TIDINGS_METRICS_ADDR). */
  metricsAccess: MetricsAccess;
}

/** What the HTTP server takes on at once and how long it waits for a client (README: Configuration). */
export interface HttpLimits {
  rateLimitPerProject: number;
  maxLargeBodies: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * `/v1` is the contract; `/v1beta`, which @google/genai 2.x calls, is the same API under another name.
 * So are the media prefixes `/upload/v1beta` and `/download/v1beta`.
 */
const rewriteBeta = (url: string) => url.replace(/^(\/upload|\/download)?\/v1beta(?=\/|$)/, "$1/v1");
const rewriteUrl = (url: string) => rewriteBeta(embeddedDownloadUrl(url) ?? url);

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { limits } = deps;
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // A client that trickles its headers or its body (slowloris) holds a socket only this long. Node checks
    // the deadlines every connectionsCheckingInterval; its 30 s default would let such sockets pile up.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: 1_000,
    },
    requestTimeout: limits.requestTimeoutMs,
    bodyLimit: BODY_LIMIT_BYTES,
    // Per-request lines would dominate the log at webhook volumes; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    rewriteUrl: (req) => rewriteUrl(req.url ?? "/"),
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: (err, socket) => {
      // A client too slow with its headers or its body (slowloris) is one of the limits.
      if ((err as NodeJS.ErrnoException).code === "ERR_HTTP_REQUEST_TIMEOUT")
        deps.metrics.limitReached("request_timeout");
      answerClientError(err, socket);
    },
  });
  deps.tracing?.instrument(app);

  // JSON only: Fastify's text/plain parser would hand a JSON text on as a string, refused as "not an object".
  app.removeContentTypeParser("text/plain");
  // Custom methods such as `:cancel` are often POSTed with no body at all.
  app.addContentTypeParser(
    "application/json",
    { parseAs: "string", bodyLimit: BODY_LIMIT_BYTES },
    (_req, body, done) => {
      const text = typeof body === "string" ? body : body.toString("utf8");
      if (text.trim() === "") return done(null, undefined);
      try {
        done(null, parseJson(text));
      } catch (err) {
        if (err instanceof JsonTooDeepError) return done(invalidArgument("body", err.message), undefined);
        done(Object.assign(err as Error, { code: "FST_ERR_CTP_INVALID_JSON_BODY", statusCode: 400 }), undefined);
      }
    },
  );

  app.setErrorHandler((err, req, reply) => {
    // An upstream model's refusal or outage, passed on as the provider answered it (with its Retry-After).
    if (err instanceof ProviderError) {
      if (err.retryAfterMs !== undefined) reply.header("retry-after", String(Math.ceil(err.retryAfterMs / 1000)));
      return reply.code(err.status).send(failureStatus(err));
    }
    // A request the contract refused names the field at fault (validation.ts); anything else maps as it is.
    const { code, body } = toRpcStatus(validationViolation(err) ?? err, req.routeOptions.bodyLimit);
    if (err instanceof LimitExceededError && err.retryAfterS !== undefined)
      reply.header("retry-after", String(err.retryAfterS));
    if (code === 503 || code === 507) {
      req.log.warn({ err }, code === 503 ? "the database is unavailable" : "the disk is full");
      reply.header("retry-after", String(UNAVAILABLE_RETRY_AFTER_S));
    } else if (code >= 500) {
      req.log.error({ err }, "unhandled error");
    }
    return reply.code(code).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { code, body } = rpcStatus(
      "NOT_FOUND",
      `no route ${req.method} ${req.url.split("?")[0]}; see GET /openapi.json`,
    );
    return reply.code(code).send(body);
  });

  // Before any route, so that every route gets it (and before swagger, which documents what it adds).
  enforceContract(app);
  idempotentCreates(app, deps.services.idempotency);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Tidings", version: deps.version, description: "Webhooks for long-running operations." },
      components: { securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "x-goog-api-key" } } },
      security: [{ apiKey: [] }],
    },
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, {
    ready: () => deps.services.projects.hasDefault(),
    metrics: deps.metrics,
    metricsAccess: deps.metricsAccess,
  });

  await app.register(signingKeyRoutes, { jwks: deps.jwks, rotate: deps.rotateSigningKey, adminKey: deps.adminKey });
  if (!deps.apiRoutes) return app;
  app.addHook("preParsing", largeBodyGate(limits.maxLargeBodies, deps.metrics.limitReached));
  const withKey = authenticate(
    deps.services.projects,
    projectRateLimit(limits.rateLimitPerProject, deps.clock, deps.metrics.limitReached),
  );
  await app.register(projectRoutes, { prefix: "/v1", services: deps.services, adminKey: deps.adminKey });
  await app.register(
    async (api) => {
      api.addHook("onRequest", withKey);
      await api.register(webhookRoutes, { services: deps.services, clock: deps.clock });
      await api.register(operationRoutes, { services: deps.services });
      await api.register(eventRoutes, { services: deps.services, bus: deps.bus });
      await api.register(eventTypeRoutes);
      await api.register(portalLinkRoutes, { services: deps.services });
      await api.register(fileRoutes, { services: deps.services });
      await api.register(modelRoutes, { models: deps.services.models });
      await api.register(batchRoutes, { batches: deps.services.batches });
      await api.register(interactionRoutes, { interactions: deps.services.interactions });
      await api.register(videoRoutes, { videos: deps.services.videos });
    },
    { prefix: "/v1" },
  );
  await app.register(fileTransferRoutes, { services: deps.services, authenticate: withKey });
  return app;
}
