import { mkdirSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { systemClock, type Clock } from "./core/clock.js";
import { retryPolicy } from "./core/retry-schedule.js";
import { loadMasterKey } from "./crypto/master-key.js";
import { SecretBox } from "./crypto/secret-box.js";
import { AddressPolicy } from "./delivery/address-policy.js";
import { SigningKeyRing } from "./crypto/signing-key-ring.js";
import { DEFAULT_ENGINE_OPTIONS, DeliveryEngine, type EngineOptions } from "./delivery/engine.js";
import { deliveryHeaders } from "./delivery/headers.js";
import { JwtSignerPool } from "./delivery/jwt/pool.js";
import { HttpSender } from "./delivery/sender.js";
import { StaticSigner } from "./delivery/static-signer.js";
import { buildApp } from "./http/app.js";
import type { Config } from "./config.js";
import { EventBus } from "./services/event-bus.js";
import { createServices, type Services } from "./services/index.js";
import { DiskBlobStore } from "./files/disk-blob-store.js";
import { openStore } from "./store/open.js";
import { createProvider } from "./providers/index.js";
import type { Store } from "./store/store.js";
import { Metrics } from "./metrics.js";
import { VERSION } from "./version.js";
import { BatchRunner } from "./workers/batch-runner.js";
import { ExpiryWorker } from "./workers/expiry.js";
import { ConcurrencyLimiter } from "./providers/limiter.js";

const KEY_REFRESH_MS = 60_000;
const SHUTDOWN_GRACE_MS = 5_000;

export interface ServerOptions {
  clock?: Clock;
  /** Jitter source for retries; tests pin it. */
  random?: () => number;
  logger?: Logger;
  engine?: Partial<EngineOptions>;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  store: Store;
  services: Services;
  engine: DeliveryEngine;
  projectId: string;
  /** An API key minted on this first start, shown once; undefined when one was configured or already exists. */
  firstRunKey?: string;
  stop(): Promise<void>;
}

/** The composition root: one process serving the API and running the delivery workers (DESIGN §6). */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? pino({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.databaseUrl !== undefined && config.masterKey === undefined) {
    throw new Error("TIDINGS_MASTER_KEY is required with TIDINGS_DATABASE_URL: every process must seal and open secrets with the same key");
  }
  const opened = await openStore(config.databaseUrl, config.dataDir, config.sqliteSynchronous);
  const { store } = opened;
  const box = new SecretBox(loadMasterKey(config.masterKey, config.dataDir));
  const policy = new AddressPolicy(config.allowedCidrs);
  // One provider per process: it pools upstream connections for the sync endpoint and the batch runner alike.
  const provider = createProvider({ provider: config.provider, baseUrl: config.providerBaseUrl, apiKey: config.providerApiKey, localDelayMs: config.localDelayMs, timeoutMs: config.providerTimeoutMs });
  // The services ring the workers, which need the services: break the cycle with late-bound references.
  const engineRef: { current?: DeliveryEngine } = {};
  const bus = new EventBus();
  const expiryRef: { current?: ExpiryWorker } = {};
  const runnerRef: { current?: BatchRunner } = {};
  const services = createServices({
    store,
    clock,
    box,
    log,
    uriRules: { allowHttp: config.dev, policy },
    notifyDeliveries: () => engineRef.current?.wake(),
    deliveryLease: () => engineRef.current?.leaseUntil(),
    adoptDeliveries: (deliveries) => engineRef.current?.adopt(deliveries),
    notifyExpiry: () => expiryRef.current?.wake(),
    bus,
  }, { blobs: new DiskBlobStore(config.dataDir), publicUrl: config.publicUrl, maxFileBytes: config.maxFileBytes }, { runner: () => runnerRef.current, defaultDeadlineMs: config.batchDeadlineMs });
  const { project, newKey } = await services.projects.ensureDefault(config.apiKey);

  const keyRing = new SigningKeyRing(store, box, clock);
  const jwtSigner = new JwtSignerPool(await keyRing.load());
  const rotateSigningKey = async () => {
    const key = await keyRing.rotate();
    jwtSigner.setKey(key);
    return key.kid;
  };
  const buildHeaders = deliveryHeaders({ staticSigner: new StaticSigner(box), jwtSigner, clock, issuer: config.publicUrl });
  const metrics = new Metrics();
  const sender = new HttpSender(policy, config.deliveryTimeoutMs);
  const engine = new DeliveryEngine(
    store,
    sender,
    buildHeaders,
    retryPolicy(config.retryScheduleSeconds, options.random),
    clock,
    log.child({ component: "delivery" }),
    (webhooks) => services.webhooks.disable(webhooks),
    metrics,
    { ...DEFAULT_ENGINE_OPTIONS, ...options.engine },
  );
  engineRef.current = engine;
  const expiry = new ExpiryWorker(store, services.operations, clock, log);
  expiryRef.current = expiry;
  const batchRunner = new BatchRunner(store, services.batches, provider, new ConcurrencyLimiter(config.providerConcurrency), clock, log.child({ component: "batches" }));
  runnerRef.current = batchRunner;

  // One SQLite file has one server: whatever the previous process had claimed is ours to send again.
  // With PostgreSQL other live processes hold their own leases; a crashed one's simply run out.
  if (opened.exclusive) await store.releaseLeases(clock.now());
  const runsWorkers = config.role !== "api";
  const app = await buildApp({
    apiRoutes: config.role !== "worker",
    services,
    store,
    clock,
    log,
    adminKey: config.adminKey,
    version: VERSION,
    jwks: () => keyRing.jwks(),
    rotateSigningKey,
    bus,
    metrics,
    provider,
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  let unwatch = async () => {};
  let keyRefresh: NodeJS.Timeout | undefined;
  if (runsWorkers) {
    engine.start();
    expiry.start();
    batchRunner.start();
    unwatch = await opened.watchDeliveries(() => engine.wake());
  }
  if (!opened.exclusive) {
    // Another process may rotate the signing key: pick up the new one to sign with (the JWKS reads the store).
    keyRefresh = setInterval(() => void keyRing.load().then((key) => jwtSigner.setKey(key)).catch((err: unknown) => log.error({ err }, "could not reload signing keys")), KEY_REFRESH_MS);
    keyRefresh.unref();
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Requests in flight get a grace period; a connection still open after it is cut, so shutdown
      // cannot hang on a client that went away mid-request.
      const grace = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await app.close();
      clearTimeout(grace);
      clearInterval(keyRefresh);
      await unwatch();
      expiry.stop();
      await batchRunner.stop();
      await engine.stop();
      await sender.close();
      await jwtSigner.close();
      await provider.close?.();
      await store.close();
    })());
  return { app, url: `http://${config.host}:${port}`, store, services, engine, projectId: project.id, firstRunKey: newKey, stop };
}
