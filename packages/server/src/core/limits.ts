import { TidingsError } from "./errors.js";

/**
 * The limits that keep one project from using up what every project shares: file descriptors, memory, the
 * event loop and the disk. Each name is the `limit` label of `tidings_limit_rejections_total` on /metrics.
 */
export const LIMIT_SETTINGS = {
  streams_per_project: "TIDINGS_MAX_STREAMS_PER_PROJECT",
  streams: "TIDINGS_MAX_STREAMS",
  stream_buffer: "the event stream's 1 MiB buffer per reader",
  webhooks_per_project: "TIDINGS_MAX_WEBHOOKS_PER_PROJECT",
  uploads_per_project: "TIDINGS_MAX_UPLOADS_PER_PROJECT",
  uploads: "the 10,000 upload sessions a process holds",
  project_file_bytes: "TIDINGS_MAX_PROJECT_FILE_BYTES",
  rate_per_project: "TIDINGS_RATE_LIMIT_PER_PROJECT",
  large_bodies: "TIDINGS_MAX_LARGE_BODIES",
  connections: "TIDINGS_MAX_CONNECTIONS",
  request_timeout: "TIDINGS_HEADERS_TIMEOUT_MS, TIDINGS_REQUEST_TIMEOUT_MS",
} as const;

export type LimitName = keyof typeof LIMIT_SETTINGS;

export const LIMIT_NAMES = Object.keys(LIMIT_SETTINGS) as LimitName[];

/**
 * A request refused because a limit is reached: google.rpc RESOURCE_EXHAUSTED, a 429 (try again later) or,
 * where waiting changes nothing (a project at its webhook cap), a 400.
 */
export class LimitExceededError extends TidingsError {
  constructor(
    readonly limit: LimitName,
    message: string,
    readonly httpStatus: 400 | 429 = 429,
    /** Seconds after which a retry may succeed (the Retry-After header), when that is known. */
    readonly retryAfterS?: number,
  ) {
    super("RESOURCE_EXHAUSTED", message);
    this.name = "LimitExceededError";
  }

  /** The setting (or built-in bound) the refusal names. */
  get setting(): string {
    return LIMIT_SETTINGS[this.limit];
  }
}

/**
 * A token bucket per key: `perSecond` tokens a second, holding at most `burst`. Pure: the caller says what
 * time it is.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst = perSecond,
  ) {}

  /** Takes a token for `key` and answers 0, or answers how many ms until one is there (taking nothing). */
  take(key: string, now: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perSecond) / 1000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / this.perSecond);
  }
}
