import type { Batch } from "../core/batches.js";
import type { Interaction } from "../core/interactions.js";
import { retryPolicy } from "../core/retry-schedule.js";
import type { VideoOperation } from "../core/videos.js";
import { DEFAULT_ENGINE_OPTIONS, DeliveryEngine, type EngineOptions } from "../delivery/engine.js";
import { deliveryHeaders } from "../delivery/headers.js";
import { DynamicSigner } from "../signing/dynamic-signer.js";
import { StaticSigner } from "../signing/static-signer.js";
import { ConcurrencyLimiter } from "../providers/limiter.js";
import { LeasedRunner } from "../runtime/leased-runner.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";
import type { Services } from "../services/index.js";
import { BATCH_RUNNER_OPTIONS, BatchWork } from "../workers/batch-work.js";
import { ExpiryWorker } from "../workers/expiry.js";
import { INTERACTION_RUNNER_OPTIONS, InteractionWork } from "../workers/interaction-work.js";
import { VIDEO_RUNNER_OPTIONS, VideoWork } from "../workers/video-work.js";
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
  batchRunner: LeasedRunner<Batch>;
  interactionRunner: LeasedRunner<Interaction>;
  videoRunner: LeasedRunner<VideoOperation>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `issuer` is the server's public URL, the `iss` of dynamic webhooks' tokens. */
export function createWorkers(infra: Infrastructure, services: Services, options: WorkerOptions, issuer: string): Workers {
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
      buildHeaders: deliveryHeaders({
        staticSigner: new StaticSigner(infra.box, infra.jwtSigner),
        dynamicSigner: new DynamicSigner(infra.jwtSigner, config.dynamicSigning, issuer),
      }),
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
  const named = (worker: string, noun: string) => {
    const report = failed(worker);
    return (err: unknown, id?: string) => report(err, id === undefined ? undefined : `${noun} ${id}`);
  };
  const batchFailed = named("batches", "batch");
  const batchRunner = new LeasedRunner(
    clock,
    new BatchWork({
      store,
      batches: services.batches,
      provider: infra.provider,
      limiter: new ConcurrencyLimiter(config.providerConcurrency),
      clock,
      onError: batchFailed,
    }),
    BATCH_RUNNER_OPTIONS,
    batchFailed,
  );
  const interactionFailed = named("interactions", "interaction");
  const interactionRunner = new LeasedRunner(
    clock,
    new InteractionWork({ store, interactions: services.interactions, turns: infra.turns, onError: interactionFailed }),
    INTERACTION_RUNNER_OPTIONS,
    interactionFailed,
  );
  const videoFailed = named("videos", "video");
  const videoRunner = new LeasedRunner(
    clock,
    new VideoWork({ store, videos: services.videos, provider: infra.videoProvider, onError: videoFailed }),
    VIDEO_RUNNER_OPTIONS,
    videoFailed,
  );

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
