import { retryPolicy } from "../core/retry-schedule.js";
import { DEFAULT_ENGINE_OPTIONS, DeliveryEngine, type EngineOptions } from "../delivery/engine.js";
import { deliveryAttempts } from "../delivery/attempts.js";
import { DynamicSigner } from "../signing/dynamic-signer.js";
import { StaticSigner } from "../signing/static-signer.js";
import { ConcurrencyLimiter } from "../providers/limiter.js";
import {
  LeasedRunner,
  type LeasedRunnerOptions,
  type LeasedWork,
  type Leases,
  type RunnerSignals,
} from "../runtime/leased-runner.js";
import { WakeableLoop } from "../runtime/wakeable-loop.js";
import type { Services } from "../services/index.js";
import type { WorkSignals } from "../services/work-signals.js";
import { BATCH_RUNNER_OPTIONS, BatchWork } from "../workers/batch-work.js";
import { ExpiryWorker } from "../workers/expiry.js";
import { RetentionWorker } from "../workers/retention.js";
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

/**
 * The background work of a process: the delivery engine, the expiry and retention workers and the batch,
 * interaction and video runners.
 */
export interface Workers {
  engine: DeliveryEngine;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Each worker listens to `signals` from the moment it exists (the services ring them after their commits).
 * `issuer` is the server's public URL, the `iss` of dynamic webhooks' tokens.
 */
export function createWorkers(
  infra: Infrastructure,
  services: Services,
  signals: WorkSignals,
  options: WorkerOptions,
  issuer: string,
): Workers {
  const { clock, log, metrics, opened, config } = infra;
  const failed = (worker: string) => (err: unknown, detail?: string) => {
    metrics.workerErrors.inc({ worker });
    log.error(
      { err, worker, ...(detail !== undefined ? { detail } : {}) },
      `${worker} failed${detail !== undefined ? `: ${detail}` : ""}`,
    );
  };
  const engine = new DeliveryEngine(
    {
      store: opened.deliveryStore,
      sender: infra.tracing?.traceSender(infra.sender) ?? infra.sender,
      buildAttempt: deliveryAttempts({
        staticSigner: new StaticSigner(infra.box),
        dynamicSigner: new DynamicSigner(infra.jwtSigner, config.dynamicSigning, issuer),
      }),
      policy: retryPolicy(config.retryScheduleSeconds, options.random),
      clock,
      workerName: infra.workerId,
      exclusive: opened.exclusive,
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
  metrics.gauge(
    "tidings_deliveries_queued",
    "Deliveries held in this process's memory, waiting for their endpoint.",
    () => engine.queuedCount,
  );
  metrics.gauge(
    "tidings_deliveries_parked",
    "Deliveries born leased to this process that wait for room as keys, to be read back from the store.",
    () => engine.parkedCount,
  );
  metrics.gauge(
    "tidings_deliveries_in_flight",
    "Delivery attempts in flight from this process.",
    () => engine.inFlightCount,
  );
  signals.attachDeliveries(engine);
  const expiry = new ExpiryWorker({
    kinds: [services.operations, services.batches],
    expires: signals.expires,
    clock,
    onError: failed("expiry"),
  });
  const retention = new RetentionWorker(
    services.retention,
    clock,
    (purged) => {
      for (const [resource, count] of Object.entries(purged)) metrics.retentionPurged.inc({ resource }, count);
    },
    failed("retention"),
  );
  /**
   * A runner of one leased kind, through its service's leases, reporting its failures as `worker`, each naming its
   * `noun`.
   */
  const leasedRunner = <T extends { id: string }>(
    worker: string,
    noun: string,
    leases: Leases<T>,
    work: (onError: (err: unknown, id?: string) => void) => LeasedWork<T>,
    runnerOptions: LeasedRunnerOptions,
    heard: RunnerSignals,
  ) => {
    const report = failed(worker);
    const onError = (err: unknown, id?: string) => report(err, id === undefined ? undefined : `${noun} ${id}`);
    return new LeasedRunner({ clock, leases, work: work(onError), options: runnerOptions, signals: heard, onError });
  };
  const runners = [
    leasedRunner(
      "batches",
      "batch",
      services.batches.leases,
      (onError) =>
        new BatchWork({
          batches: services.batches,
          provider: infra.provider,
          limiter: new ConcurrencyLimiter(config.providerConcurrency),
          clock,
          onError,
        }),
      BATCH_RUNNER_OPTIONS,
      signals.batches,
    ),
    leasedRunner(
      "interactions",
      "interaction",
      services.interactions.leases,
      (onError) => new InteractionWork(services.interactions, infra.turns, onError),
      INTERACTION_RUNNER_OPTIONS,
      signals.interactions,
    ),
    leasedRunner(
      "videos",
      "video",
      services.videos.leases,
      (onError) => new VideoWork(services.videos, infra.videoProvider, onError),
      VIDEO_RUNNER_OPTIONS,
      signals.videos,
    ),
  ];

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
    async start() {
      // One SQLite file has one server: whatever the previous process had leased is ours to send again.
      // With PostgreSQL other live processes hold their own leases; a crashed one's simply run out.
      if (opened.exclusive) {
        for (const leases of [services.batches.leases, services.interactions.leases, services.videos.leases])
          await leases.releaseAll();
      }
      await engine.start();
      expiry.start();
      retention.start();
      for (const runner of runners) runner.start();
      unwatch = await opened.watchDeliveries(() => engine.wake());
      if (!opened.exclusive) keyRefresh.start();
    },
    async stop() {
      keyRefresh.stop();
      await unwatch();
      expiry.stop();
      retention.stop();
      for (const runner of runners) await runner.stop();
      await engine.stop();
    },
  };
}
