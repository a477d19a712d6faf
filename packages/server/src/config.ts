import { resolve } from "node:path";
import { parseHumanDuration } from "./core/retention.js";
import { DEFAULT_RETRY_SCHEDULE_S, parseRetrySchedule } from "./core/retry-schedule.js";
import { TIDINGS_JWT_ALGORITHMS } from "@tidings/sdk";
import { DYNAMIC_SIGNING_SCHEMES, type DynamicSigningScheme, type JwtAlgorithm } from "./core/signing-keys.js";
import { DEV_ALLOWED_CIDRS } from "./net/address-policy.js";
import { loadProviderSettings, type ProviderSettings } from "./providers/settings.js";

export type Role = "api" | "worker" | "all";
const ROLES: readonly Role[] = ["api", "worker", "all"];

/** What one project may hold or do, and what the process takes on at once (README: Configuration). */
export interface Limits {
  /** TIDINGS_MAX_STREAMS_PER_PROJECT: open event streams per project, the API's and the dashboard's together. */
  maxStreamsPerProject: number;
  /** TIDINGS_MAX_STREAMS: open event streams in this process, every project's. */
  maxStreams: number;
  /** TIDINGS_MAX_WEBHOOKS_PER_PROJECT: static webhooks a project may register. */
  maxWebhooksPerProject: number;
  /** TIDINGS_MAX_UPLOADS_PER_PROJECT: upload sessions a project may hold open. */
  maxUploadsPerProject: number;
  /** TIDINGS_MAX_PROJECT_FILE_BYTES: bytes of files a project may store, uploads in progress included. */
  maxProjectFileBytes: number;
  /** TIDINGS_RATE_LIMIT_PER_PROJECT: API requests a second per project; 0 is off. */
  rateLimitPerProject: number;
  /** TIDINGS_MAX_LARGE_BODIES: request bodies over 1 MiB (inline batches) read at once. */
  maxLargeBodies: number;
  /** TIDINGS_MAX_CONNECTIONS: open client connections; undefined takes half the process's open-file limit. */
  maxConnections?: number;
  /** TIDINGS_HEADERS_TIMEOUT_MS: how long a client may take to send a request's headers. */
  headersTimeoutMs: number;
  /** TIDINGS_REQUEST_TIMEOUT_MS: how long a client may take to send a whole request. */
  requestTimeoutMs: number;
}

/** Everything `tidings serve` is configured with; the TIDINGS_PROVIDER* settings come from providers/settings.ts. */
export interface Config extends ProviderSettings {
  /** What this process does: serve the API, run delivery workers, or both (docs/architecture.md: roles). */
  role: Role;
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /**
   * TIDINGS_PUBLIC_URL, else `http://HOST:PORT`. Undefined when the port is 0 (the system picks one, as tests do):
   * the public URL is then the address the server ends up listening on (server.ts).
   */
  publicUrl?: string;
  masterKey?: string;
  adminKey?: string;
  apiKey?: string;
  dev: boolean;
  allowedCidrs: string[];
  retryScheduleSeconds: number[];
  deliveryTimeoutMs: number;
  /** TIDINGS_MAX_FILE_BYTES: the largest file an upload may declare (default 2 GiB, as Gemini). */
  maxFileBytes: number;
  /**
   * TIDINGS_MAX_BATCH_LINE_BYTES: the longest line of a JSONL batch input (default 4 MiB); longer ones become error
   * lines.
   */
  maxBatchLineBytes: number;
  /** TIDINGS_SQLITE_SYNCHRONOUS: `normal` survives process crashes; `full` also OS crashes and power loss. */
  sqliteSynchronous: "normal" | "full";
  /** TIDINGS_JWKS_PROPAGATION_S: how long a rotated key is published before it signs (default 900 s). */
  jwksPropagationMs: number;
  /**
   * TIDINGS_JWT_ALG: what signs dynamic webhooks: RS256 (default), ES256 or EdDSA; always EdDSA (Ed25519 keys) with
   * `v1a`.
   */
  jwtAlgorithm: JwtAlgorithm;
  /** TIDINGS_DYNAMIC_SIGNING: `jwt` (default, as Google documents) or `v1a` (Ed25519, as Gemini's live deliveries). */
  dynamicSigning: DynamicSigningScheme;
  /** TIDINGS_BATCH_DEADLINE_S: how long a batch may run before it expires (default 48 h). */
  batchDeadlineMs: number;
  /** TIDINGS_RETENTION: how long finished records are kept (default 30 days; a project may say otherwise). */
  retentionMs: number;
  /** TIDINGS_FILE_TTL: how long a file is kept before it is deleted with its bytes (default 48 h, as Gemini). */
  fileTtlMs: number;
  logLevel: string;
  /**
   * OTLP/HTTP traces endpoint, from OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
   * tracing is off without one.
   */
  otlpTracesUrl?: string;
  /** OTEL_SERVICE_NAME, default `tidings`. */
  serviceName: string;
  limits: Limits;
  /** TIDINGS_METRICS_TOKEN: when set, /metrics wants it as `Authorization: Bearer`. */
  metricsToken?: string;
  /** TIDINGS_METRICS_ADDR (`host:port`): serve /metrics there instead of beside the API. */
  metricsAddress?: { host: string; port: number };
}

/** Flags as commander hands them over; each mirrors an environment variable. */
export interface ConfigFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  databaseUrl?: string;
  publicUrl?: string;
  dev?: boolean;
  logLevel?: string;
  role?: string;
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: "${text}" must be a positive integer`);
  return n;
}

function parseJwtAlgorithm(text: string): JwtAlgorithm {
  if ((TIDINGS_JWT_ALGORITHMS as readonly string[]).includes(text)) return text as JwtAlgorithm;
  throw new Error(`TIDINGS_JWT_ALG: "${text}" must be one of ${TIDINGS_JWT_ALGORITHMS.join(", ")}`);
}

function humanDuration(text: string, name: string): number {
  const ms = parseHumanDuration(text);
  if (ms === undefined) throw new Error(`${name}: "${text}" must be a duration such as 90s, 15m, 12h or 30d`);
  return ms;
}

function parseDynamicSigning(text: string): DynamicSigningScheme {
  if ((DYNAMIC_SIGNING_SCHEMES as readonly string[]).includes(text)) return text as DynamicSigningScheme;
  throw new Error(`TIDINGS_DYNAMIC_SIGNING: "${text}" must be one of ${DYNAMIC_SIGNING_SCHEMES.join(", ")}`);
}

/** The key ring's algorithm: `v1a` signs with Ed25519 keys, which also sign EdDSA JWTs. */
function signingAlgorithm(dynamicSigning: DynamicSigningScheme, jwtAlg: string | undefined): JwtAlgorithm {
  if (dynamicSigning === "jwt") return parseJwtAlgorithm(jwtAlg ?? "RS256");
  if (jwtAlg !== undefined && jwtAlg !== "" && jwtAlg !== "EdDSA") {
    throw new Error(
      `TIDINGS_JWT_ALG: "${jwtAlg}" cannot sign v1a deliveries, which are Ed25519; with TIDINGS_DYNAMIC_SIGNING=v1a leave it unset or EdDSA`,
    );
  }
  return "EdDSA";
}

/** 0 asks the system for a free port (tests: no port is probed and handed out, so none can be taken meanwhile). */
function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`TIDINGS_PORT: "${text}" must be a port number, 0 to 65535 (0: any free port)`);
  return n;
}

function nonNegativeInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: "${text}" must be a whole number of seconds, 0 or more`);
  return n;
}

function nonNegativeNumber(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new Error(`${name}: "${text}" must be a number, 0 or more (0: off)`);
  return n;
}

export function loadLimits(env: NodeJS.ProcessEnv): Limits {
  const limits: Limits = {
    maxStreamsPerProject: positiveInt(env.TIDINGS_MAX_STREAMS_PER_PROJECT ?? "32", "TIDINGS_MAX_STREAMS_PER_PROJECT"),
    maxStreams: positiveInt(env.TIDINGS_MAX_STREAMS ?? "1000", "TIDINGS_MAX_STREAMS"),
    maxWebhooksPerProject: positiveInt(
      env.TIDINGS_MAX_WEBHOOKS_PER_PROJECT ?? "500",
      "TIDINGS_MAX_WEBHOOKS_PER_PROJECT",
    ),
    maxUploadsPerProject: positiveInt(env.TIDINGS_MAX_UPLOADS_PER_PROJECT ?? "100", "TIDINGS_MAX_UPLOADS_PER_PROJECT"),
    // Gemini's Files API holds 20 GB per project.
    maxProjectFileBytes: positiveInt(
      env.TIDINGS_MAX_PROJECT_FILE_BYTES ?? String(20 * 1024 ** 3),
      "TIDINGS_MAX_PROJECT_FILE_BYTES",
    ),
    // Off by default: a limit that a benchmark or a busy worker trips by surprise does more harm than good.
    rateLimitPerProject: nonNegativeNumber(env.TIDINGS_RATE_LIMIT_PER_PROJECT ?? "0", "TIDINGS_RATE_LIMIT_PER_PROJECT"),
    maxLargeBodies: positiveInt(env.TIDINGS_MAX_LARGE_BODIES ?? "2", "TIDINGS_MAX_LARGE_BODIES"),
    headersTimeoutMs: positiveInt(env.TIDINGS_HEADERS_TIMEOUT_MS ?? "10000", "TIDINGS_HEADERS_TIMEOUT_MS"),
    requestTimeoutMs: positiveInt(env.TIDINGS_REQUEST_TIMEOUT_MS ?? "120000", "TIDINGS_REQUEST_TIMEOUT_MS"),
  };
  if (env.TIDINGS_MAX_CONNECTIONS)
    limits.maxConnections = positiveInt(env.TIDINGS_MAX_CONNECTIONS, "TIDINGS_MAX_CONNECTIONS");
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(
      `TIDINGS_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not be longer than TIDINGS_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  return limits;
}

/** `host:port`, `[::1]:port` or `:port` (every address, as TIDINGS_HOST=0.0.0.0 would). */
function parseAddress(text: string, name: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  if (match === null) throw new Error(`${name}: "${text}" must be host:port, such as 127.0.0.1:9464 or [::1]:9464`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`${name}: "${text}" has no valid port (0 to 65535)`);
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

/** Flags win over the environment, which wins over defaults (docs/architecture.md: configuration). */
export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const host = flags.host ?? env.TIDINGS_HOST ?? "127.0.0.1";
  const port = parsePort(flags.port ?? env.TIDINGS_PORT ?? "8080");
  const dev = flags.dev ?? (env.TIDINGS_DEV === "1" || env.TIDINGS_DEV === "true");
  const extraCidrs = (env.TIDINGS_ALLOWED_CIDRS ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  const sqliteSynchronous = (env.TIDINGS_SQLITE_SYNCHRONOUS ?? "normal").toLowerCase();
  if (sqliteSynchronous !== "normal" && sqliteSynchronous !== "full") {
    throw new Error(`TIDINGS_SQLITE_SYNCHRONOUS: "${env.TIDINGS_SQLITE_SYNCHRONOUS}" must be normal or full`);
  }
  const dynamicSigning = parseDynamicSigning(env.TIDINGS_DYNAMIC_SIGNING || "jwt");
  const role = flags.role ?? env.TIDINGS_ROLE ?? "all";
  if (!(ROLES as readonly string[]).includes(role))
    throw new Error(`TIDINGS_ROLE: "${role}" must be one of ${ROLES.join(", ")}`);
  return {
    role: role as Role,
    host,
    port,
    dataDir: resolve(flags.dataDir ?? env.TIDINGS_DATA_DIR ?? ".tidings"),
    databaseUrl: flags.databaseUrl ?? env.TIDINGS_DATABASE_URL,
    publicUrl: publicUrl(flags.publicUrl ?? env.TIDINGS_PUBLIC_URL, host, port),
    masterKey: env.TIDINGS_MASTER_KEY,
    adminKey: env.TIDINGS_ADMIN_KEY || undefined,
    apiKey: env.TIDINGS_API_KEY || undefined,
    dev,
    allowedCidrs: dev ? [...DEV_ALLOWED_CIDRS, ...extraCidrs] : extraCidrs,
    retryScheduleSeconds: env.TIDINGS_RETRY_SCHEDULE
      ? parseRetrySchedule(env.TIDINGS_RETRY_SCHEDULE)
      : DEFAULT_RETRY_SCHEDULE_S,
    deliveryTimeoutMs: positiveInt(env.TIDINGS_DELIVERY_TIMEOUT_MS ?? "10000", "TIDINGS_DELIVERY_TIMEOUT_MS"),
    maxFileBytes: positiveInt(env.TIDINGS_MAX_FILE_BYTES ?? String(2 * 1024 ** 3), "TIDINGS_MAX_FILE_BYTES"),
    maxBatchLineBytes: positiveInt(
      env.TIDINGS_MAX_BATCH_LINE_BYTES ?? String(4 * 1024 ** 2),
      "TIDINGS_MAX_BATCH_LINE_BYTES",
    ),
    ...loadProviderSettings(env),
    sqliteSynchronous,
    jwtAlgorithm: signingAlgorithm(dynamicSigning, env.TIDINGS_JWT_ALG),
    dynamicSigning,
    jwksPropagationMs: nonNegativeInt(env.TIDINGS_JWKS_PROPAGATION_S ?? "900", "TIDINGS_JWKS_PROPAGATION_S") * 1000,
    batchDeadlineMs: positiveInt(env.TIDINGS_BATCH_DEADLINE_S ?? String(48 * 3600), "TIDINGS_BATCH_DEADLINE_S") * 1000,
    retentionMs: humanDuration(env.TIDINGS_RETENTION ?? "30d", "TIDINGS_RETENTION"),
    fileTtlMs: humanDuration(env.TIDINGS_FILE_TTL ?? "48h", "TIDINGS_FILE_TTL"),
    logLevel: flags.logLevel ?? env.TIDINGS_LOG_LEVEL ?? "info",
    otlpTracesUrl: otlpTracesUrl(env),
    serviceName: env.OTEL_SERVICE_NAME || "tidings",
    limits: loadLimits(env),
    metricsToken: env.TIDINGS_METRICS_TOKEN || undefined,
    metricsAddress: env.TIDINGS_METRICS_ADDR
      ? parseAddress(env.TIDINGS_METRICS_ADDR, "TIDINGS_METRICS_ADDR")
      : undefined,
  };
}

function publicUrl(explicit: string | undefined, host: string, port: number): string | undefined {
  if (explicit !== undefined && explicit !== "") return explicit.replace(/\/$/, "");
  return port === 0 ? undefined : listeningUrl(host, port);
}

/** The URL of a server listening on `host` and `port`. */
export function listeningUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Where traces go, from the standard OpenTelemetry variables; undefined when tracing is off. */
function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/$/, "")}/v1/traces` : undefined;
}
