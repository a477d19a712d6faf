import type { FastifyInstance } from "fastify";
import { startHttp } from "./boot/http.js";
import { startInfrastructure, type InfrastructureOptions } from "./boot/infrastructure.js";
import { createWorkers, type WorkerOptions } from "./boot/workers.js";
import type { Config } from "./config.js";
import type { DeliveryEngine } from "./delivery/engine.js";
import { createServices, type Services } from "./services/index.js";
import { countStateChanges } from "./boot/observability.js";
import { Outbox } from "./services/outbox.js";
import { WorkSignals } from "./services/work-signals.js";
import type { Store } from "./store/store.js";

export type ServerOptions = InfrastructureOptions & WorkerOptions;

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  store: Store;
  services: Services;
  engine: DeliveryEngine;
  projectId: string;
  /** Where /metrics listens when TIDINGS_METRICS_ADDR puts it apart from the API. */
  metricsUrl?: string;
  /** An API key minted on this first start, shown once; undefined when one was configured or already exists. */
  firstRunKey?: string;
  stop(): Promise<void>;
}

/**
 * The composition root: infrastructure, then the services, then the workers and the HTTP API on top
 * (docs/architecture.md: wiring). `--role` decides what runs: the API, the workers, or both.
 */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const infra = await startInfrastructure(config, options);
  // Built before both: the services ring it, the workers listen to it.
  const signals = new WorkSignals();
  // Known before listening unless the system picks the port (0): then it is the address listened on.
  let listeningAt: string | undefined;
  const publicUrl = () => config.publicUrl ?? (listeningAt as string);
  const services = createServices(
    {
      store: infra.opened.store,
      outbox: new Outbox(signals.deliveries, infra.bus),
      clock: infra.clock,
      box: infra.box,
      log: infra.log,
      uriRules: { allowHttp: config.dev, policy: infra.addressPolicy },
      signals,
      onStateChange: countStateChanges(infra.metrics),
      onLimit: infra.metrics.limitReached,
    },
    {
      blobs: infra.blobs,
      publicUrl,
      maxFileBytes: config.maxFileBytes,
      ttlMs: config.fileTtlMs,
      maxUploadsPerProject: config.limits.maxUploadsPerProject,
      maxProjectFileBytes: config.limits.maxProjectFileBytes,
    },
    { defaultDeadlineMs: config.batchDeadlineMs, maxLineBytes: config.maxBatchLineBytes },
    { provider: infra.provider, turns: infra.turns },
    { defaultMs: config.retentionMs },
    { maxWebhooksPerProject: config.limits.maxWebhooksPerProject },
  );
  const { project, newKey } = await services.projects.ensureDefault(config.apiKey);
  // A key revoked by another process sharing the database is refused here at once, not when the memory of it runs out.
  const unwatchKeys =
    config.role === "worker" ? async () => {} : await infra.opened.watchApiKeys(() => services.projects.forgetKeys());
  const rotateSigningKey = async () => {
    const key = await infra.keyRing.rotate();
    infra.jwtSigner.setKeys(await infra.keyRing.load());
    return key;
  };
  const http = await startHttp(infra, services, rotateSigningKey);
  listeningAt = http.url;
  const workers = createWorkers(infra, services, signals, options, publicUrl());
  if (config.role !== "api") await workers.start();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await http.close();
      await unwatchKeys();
      if (config.role !== "api") await workers.stop();
      await infra.close();
    })());
  return {
    app: http.app,
    url: http.url,
    metricsUrl: http.metricsUrl,
    store: infra.opened.store,
    services,
    engine: workers.engine,
    projectId: project.id,
    firstRunKey: newKey,
    stop,
  };
}
