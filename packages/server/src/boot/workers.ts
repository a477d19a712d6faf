import { retryPolicy } from "../core/retry-schedule.js";
import { DEFAULT_ENGINE_OPTIONS, DeliveryEngine, type EngineOptions } from "../delivery/engine.js";
import { deliveryHeaders } from "../delivery/headers.js";
import { StaticSigner } from "../signing/static-signer.js";
import { ConcurrencyLimiter } from "../providers/limiter.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";
import type { Services } from "../services/index.js";
import { BatchRunner } from "../workers/batch-runner.js";
import { ExpiryWorker } from "../workers/expiry.js";
import { InteractionRunner } from "../workers/interaction-runner.js";
import { VideoRunner } from "../workers/video-runner.js";
import type { Infrastructure } from "./infrastructure.js";
import { reportAttempt } from "./observability.js";

const KEY_REFRESH_MS = 60_000;

export interface WorkerOptions {
  /** Jitter source for retries; tests pin it. */
  random?: () => number;
  engine?: Partial<EngineOptions>;
}

/** The background work of a process: the delivery engine, the expiry sweeper and the batch, interaction and video runners. */
export interface Workers {
  engine: DeliveryEngine;
  expiry: ExpiryWorker;
  batchRunner: BatchRunner;
  interactionRunner: InteractionRunner;
  videoRunner: VideoRunner;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createWorkers(infra: Infrastructure, services: Services, options: WorkerOptions): Workers {
  const { clock, log, metrics, opened, config } = infra;
  const store = opened.store;
  const failed = (worker: string) => (err: unknown, detail?: string) => {
    metrics.workerErrors.inc({ worker });
    log.error({ err, worker, ...(detail !== undefined ? { detail } : {}) }, `${worker} failed${detail !== undefined ? `: ${detail}` : ""}`);
  };
  const engine = new DeliveryEngine(
    {
      store: opened.deliveryStore,
      sender: infra.tracing?.traceSender(infra.sender) ?? infra.sender,
      buildHeaders: deliveryHeaders({ staticSigner: new StaticSigner(infra.box), jwtSigner: infra.jwtSigner, issuer: config.publicUrl }),
      policy: retryPolicy(config.retryScheduleSeconds, options.random),
      clock,
      workerId: infra.workerId,
      onDisable: (webhooks) => services.webhooks.disable(webhooks),
      observer: {
        attempt: (verdict, latencyMs) => {
          metrics.attempts.inc({ outcome: verdict });
          metrics.attemptSeconds.observe(latencyMs / 1000);
        },
        attempted: reportAttempt(log, metrics),
        claimRound: () => metrics.claimRounds.inc(),
        error: failed("delivery"),
      },
    },
    { ...DEFAULT_ENGINE_OPTIONS, ...options.engine },
  );
  metrics.gauge("tidings_deliveries_queued", "Deliveries held in this process's memory, waiting for their endpoint.", () => engine.queuedCount);
  metrics.gauge("tidings_deliveries_in_flight", "Delivery attempts in flight from this process.", () => engine.inFlightCount);
  const expiry = new ExpiryWorker({ store, operations: services.operations, batches: services.batches, clock, onError: failed("expiry") });
  const batchFailed = failed("batches");
  const batchRunner = new BatchRunner({
    store,
    batches: services.batches,
    provider: infra.provider,
    limiter: new ConcurrencyLimiter(config.providerConcurrency),
    clock,
    onError: (err, batchId) => batchFailed(err, batchId === undefined ? undefined : `batch ${batchId}`),
  });
  const interactionFailed = failed("interactions");
  const interactionRunner = new InteractionRunner({
    store,
    interactions: services.interactions,
    turns: infra.turns,
    clock,
    onError: (err, id) => interactionFailed(err, id === undefined ? undefined : `interaction ${id}`),
  });
  const videoFailed = failed("videos");
  const videoRunner = new VideoRunner({
    store,
    videos: services.videos,
    provider: infra.videoProvider,
    clock,
    onError: (err, id) => videoFailed(err, id === undefined ? undefined : `video ${id}`),
  });

  // Another process may rotate the signing key: pick up the new one to sign with (the JWKS reads the store).
  const keyRefresh = new WakeableLoop(
    clock,
    async () => {
      infra.jwtSigner.setKeys(await infra.keyRing.load());
      return KEY_REFRESH_MS;
    },
    failed("signing keys"),
  );
  let unwatch = async () => {};
  return {
    engine,
    expiry,
    batchRunner,
    interactionRunner,
    videoRunner,
    async start() {
      // One SQLite file has one server: whatever the previous process had leased is ours to send again.
      // With PostgreSQL other live processes hold their own leases; a crashed one's simply run out.
      if (opened.exclusive) {
        await store.deliveries.releaseAll();
        await store.batches.releaseAll();
        await store.interactions.releaseAll();
        await store.videos.releaseAll();
      }
      engine.start();
      expiry.start();
      batchRunner.start();
      interactionRunner.start();
      videoRunner.start();
      unwatch = await opened.watchDeliveries(() => engine.wake());
      if (!opened.exclusive) keyRefresh.start();
    },
    async stop() {
      keyRefresh.stop();
      await unwatch();
      expiry.stop();
      await batchRunner.stop();
      await interactionRunner.stop();
      await videoRunner.stop();
      await engine.stop();
    },
  };
}
