import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Clock } from "../core/clock.js";
import { loadMasterKey } from "../crypto/master-key.js";
import { SecretBox } from "../crypto/secret-box.js";
import { type SignerKey, SigningKeyRing } from "../signing/signing-key-ring.js";
import { AddressPolicy } from "../net/address-policy.js";
import { JwtSignerPool } from "../signing/jwt/pool.js";
import type { Sender } from "../delivery/engine.js";
import { HttpSender } from "../delivery/sender.js";
import { ThreadedSender } from "../delivery/sender-thread/threaded-sender.js";
import { DiskBlobStore } from "../files/disk-blob-store.js";
import { LogOutput } from "../observability/log-output.js";
import { createLogger } from "../observability/logging.js";
import { Metrics } from "../observability/metrics.js";
import {
  createAgentProvider,
  createInteractionProvider,
  createProvider,
  createVideoProvider,
  ProviderTurns,
  type VideoProvider,
} from "../providers/index.js";
import type { Tracing } from "../observability/tracing.js";
import type { Provider } from "../providers/provider.js";
import { systemClock } from "../runtime/system-clock.js";
import { EventBus, STREAM_BUFFER_BYTES, STREAM_HEARTBEAT_MS } from "../services/event-bus.js";
import { type CheckpointObserver, openStore, type OpenedStore } from "../store/open.js";
import { registerStoreGauges } from "./observability.js";

export interface InfrastructureOptions {
  clock?: Clock;
  logger?: Logger;
}

/** What the services and workers stand on: storage, crypto, the network, the model provider, telemetry. */
export interface Infrastructure {
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  opened: OpenedStore;
  box: SecretBox;
  addressPolicy: AddressPolicy;
  keyRing: SigningKeyRing;
  jwtSigner: JwtSignerPool;
  sender: Sender & { close(): Promise<void> };
  provider: Provider;
  /** Interaction turns and agent steps, through the same provider (or Gemini's interactions API). */
  turns: ProviderTurns;
  videoProvider: VideoProvider;
  blobs: DiskBlobStore;
  bus: EventBus;
  /** Present when an OTLP endpoint is configured. */
  tracing?: Tracing;
  /** Names this process's delivery leases in a shared store. */
  workerId: string;
  close(): Promise<void>;
}

export async function startInfrastructure(config: Config, options: InfrastructureOptions): Promise<Infrastructure> {
  const clock = options.clock ?? systemClock;
  // Never the event loop's to wait on: a log that cannot be written (a full disk) loses lines, not the server.
  const logOutput = options.logger === undefined ? new LogOutput(process.stdout.fd) : undefined;
  const log = options.logger ?? createLogger(config.logLevel, logOutput);
  makePrivateDir(config.dataDir);
  if (config.databaseUrl !== undefined && config.masterKey === undefined) {
    throw new Error(
      "TIDINGS_MASTER_KEY is required with TIDINGS_DATABASE_URL: every process must seal and open secrets with the same key. " +
        "Make one with `openssl rand -base64 32` and give every process that value.",
    );
  }
  const box = new SecretBox(loadMasterKey(config.masterKey, config.dataDir));
  const metrics = new Metrics();
  metrics.readCounter(
    "tidings_log_writes_dropped_total",
    "Log lines dropped because the log could not be written (a full disk, a pipe nobody reads) or could not keep up; the server never waits on its log.",
    () => logOutput?.dropped ?? 0,
  );
  // Loaded only when wanted: without an endpoint, tracing costs not even the SDK's import.
  const tracing =
    config.otlpTracesUrl === undefined
      ? undefined
      : new (await import("../observability/tracing.js")).Tracing(config.otlpTracesUrl, config.serviceName);
  let walBytes = 0;
  const untraced = await openStore(config, {
    now: () => clock.now(),
    onRoundTrip: (by) => metrics.storeRoundTrips.inc({ by }),
    checkpoints: reportCheckpoints(log, metrics, (bytes) => (walBytes = bytes)),
  });
  if (config.databaseUrl === undefined) {
    metrics.gauge(
      "tidings_sqlite_wal_bytes",
      "Size of the SQLite write-ahead log, as of the last checkpoint (bounded: docs/store.md).",
      () => walBytes,
    );
  }
  const opened =
    tracing === undefined
      ? untraced
      : {
          ...untraced,
          store: tracing.traceStore(untraced.store, config.databaseUrl === undefined ? "sqlite" : "postgresql"),
        };
  registerStoreGauges(metrics, opened.store, clock);
  const keyRing = new SigningKeyRing(opened.store, box, clock, {
    propagationMs: config.jwksPropagationMs,
    algorithm: config.jwtAlgorithm,
  });
  let signerKeys: SignerKey[];
  try {
    await keyRing.ensureAlgorithm();
    signerKeys = await keyRing.load();
  } catch (err) {
    // A master key that does not open this database's secrets, say: leave nothing running behind the error.
    await opened.store.close();
    throw err;
  }
  const jwtSigner = new JwtSignerPool(signerKeys);
  const addressPolicy = new AddressPolicy(config.allowedCidrs);
  const onRefusal = (host: string, why: string) =>
    log.warn({ host, why }, "delivery refused: the host name resolves to a non-public address");
  // With a second core, sending runs beside the API and the store instead of taking turns with them
  // (docs/architecture.md: the sending thread).
  const sender =
    availableParallelism() > 1
      ? new ThreadedSender({ allowedCidrs: config.allowedCidrs, timeoutMs: config.deliveryTimeoutMs, onRefusal })
      : new HttpSender({ policy: addressPolicy, timeoutMs: config.deliveryTimeoutMs, clock, onRefusal });
  // One provider per process: it pools upstream connections for the sync endpoint and the batch runner alike.
  const providerConfig = {
    provider: config.provider,
    baseUrl: config.providerBaseUrl,
    apiKey: config.providerApiKey,
    localDelayMs: config.localDelayMs,
    timeoutMs: config.providerTimeoutMs,
  };
  const provider = createProvider(providerConfig);
  const interactionProvider = createInteractionProvider(providerConfig, provider);
  const videoProvider = createVideoProvider({ ...providerConfig, videoProvider: config.videoProvider });
  return {
    config,
    clock,
    log,
    metrics,
    opened,
    box,
    addressPolicy,
    keyRing,
    jwtSigner,
    sender,
    provider,
    turns: new ProviderTurns(interactionProvider, createAgentProvider(providerConfig)),
    videoProvider,
    blobs: new DiskBlobStore(config.dataDir),
    bus: new EventBus(
      {
        maxPerProject: config.limits.maxStreamsPerProject,
        maxTotal: config.limits.maxStreams,
        bufferBytes: STREAM_BUFFER_BYTES,
        heartbeatMs: STREAM_HEARTBEAT_MS,
      },
      metrics.limitReached,
    ),
    tracing,
    workerId: `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`,
    async close() {
      await sender.close();
      await jwtSigner.close();
      await provider.close?.();
      await interactionProvider.close?.();
      await videoProvider.close?.();
      await opened.store.close();
      await tracing?.shutdown();
      await logOutput?.drain(LOG_DRAIN_MS);
    },
  };
}

/** A stopping server waits at most this long for its last log lines to be written. */
const LOG_DRAIN_MS = 2_000;

/** WAL checkpoints that start failing (a full disk: the WAL grows meanwhile, nothing is lost) and recover. */
function reportCheckpoints(log: Logger, metrics: Metrics, walBytes: (bytes: number) => void): CheckpointObserver {
  return {
    walBytes,
    restarted: (pauseMs) => metrics.walRestartSeconds.observe(pauseMs / 1000),
    failed: (failure) => {
      metrics.workerErrors.inc({ worker: "checkpoint" });
      log.error(
        { code: failure.code, error: failure.message },
        "WAL checkpoints fail; the WAL keeps every commit and grows until they work again",
      );
    },
    recovered: () => log.info("WAL checkpoints work again"),
  };
}

/**
 * The data dir holds API-key hashes, sealed secrets and payloads: this user's alone (docs/architecture.md: secrets and
 * the data directory).
 */
function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
