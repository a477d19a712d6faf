import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { loadConfig, type Config } from "../../src/config.js";
import type { Clock, Timer } from "../../src/core/clock.js";
import { systemClock } from "../../src/runtime/system-clock.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server.js";

export const TEST_KEY = "test-key-0123456789";
export const ADMIN_KEY = "admin-key-0123456789";

export interface TestServer extends RunningServer {
  key: string;
  dataDir: string;
  config: Config;
  api<T = any>(method: string, path: string, body?: unknown, key?: string | null): Promise<{ status: number; body: T }>;
  /** Stops the server and removes its data dir. */
  close(): Promise<void>;
}

/**
 * For end-to-end tests of the 24-hour window: the time moves only when the test says so, while the timers
 * (wake-ups, flushes) run on the event loop, so a real server keeps working in between.
 */
export class ManualClock implements Clock {
  constructor(private t = Date.parse("2026-05-04T12:00:00Z")) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  setTimeout(callback: () => void, ms: number): Timer {
    return systemClock.setTimeout(callback, ms);
  }
  clearTimeout(timer: Timer | undefined): void {
    systemClock.clearTimeout(timer);
  }
}

/**
 * A clock pinned to `start` that runs at real speed from there: for data written at a known time (the legacy
 * fixtures), so a test reads it as it was meant to be read on any date. Timers run on the event loop.
 */
export class PinnedClock implements Clock {
  private readonly startedAt = performance.now();
  constructor(private readonly start: number) {}
  now(): number {
    return this.start + Math.floor(performance.now() - this.startedAt);
  }
  setTimeout(callback: () => void, ms: number): Timer {
    return systemClock.setTimeout(callback, ms);
  }
  clearTimeout(timer: Timer | undefined): void {
    systemClock.clearTimeout(timer);
  }
}

/**
 * Starts an in-process server (in dev mode unless told otherwise) on a random port with a temp data dir and fast
 * retries.
 */
export async function startTidings(
  options: ServerOptions & { env?: Record<string, string>; dataDir?: string; dev?: boolean } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "tidings-test-"));
  const env = {
    TIDINGS_API_KEY: TEST_KEY,
    TIDINGS_ADMIN_KEY: ADMIN_KEY,
    TIDINGS_RETRY_SCHEDULE: "0.05,0.05,0.1",
    TIDINGS_DELIVERY_TIMEOUT_MS: "2000",
    ...options.env,
  };
  // Port 0: the system picks one, and the server's public URL (upload URLs, JWT issuer) is where it listens.
  const config = loadConfig({ dataDir, dev: options.dev ?? true, port: "0" }, env);
  const server = await startServer(config, { logger: pino({ level: "silent" }), ...options });
  const api: TestServer["api"] = async (method, path, body, key = TEST_KEY) => {
    const headers: Record<string, string> = {};
    if (key !== null) headers["x-goog-api-key"] = key;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return {
    ...server,
    key: TEST_KEY,
    dataDir,
    config,
    api,
    async close() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Registers a webhook for the receiver and returns its id and secret. */
export async function registerWebhook(
  server: TestServer,
  uri: string,
  events: string[] = ["*"],
): Promise<{ id: string; secret: string }> {
  const res = await server.api<{ id: string; new_signing_secret: string }>("POST", "/v1/webhooks", {
    uri,
    subscribed_events: events,
  });
  if (res.status !== 200) throw new Error(`webhook create failed: ${JSON.stringify(res.body)}`);
  return { id: res.body.id, secret: res.body.new_signing_secret };
}

/** Creates a custom operation and completes it; returns its id. */
export async function completeOperation(
  server: TestServer,
  type = "export",
  body: unknown = { output_file_uri: "files/out" },
): Promise<string> {
  const created = await server.api<{ name: string }>("POST", "/v1/operations", { type });
  const id = created.body.name.split("/")[1] as string;
  const done = await server.api("POST", `/v1/operations/${id}:complete`, body);
  if (done.status !== 200) throw new Error(`complete failed: ${JSON.stringify(done.body)}`);
  return id;
}

/**
 * Uploads `text` as a JSONL file with the resumable protocol in one chunk, as @google/genai does; its `files/…` name.
 */
export async function uploadJsonl(server: TestServer, text: string): Promise<string> {
  const start = await fetch(`${server.url}/upload/v1beta/files`, {
    method: "POST",
    headers: {
      "x-goog-api-key": server.key,
      "x-goog-upload-protocol": "resumable",
      "x-goog-upload-command": "start",
      "x-goog-upload-header-content-length": String(Buffer.byteLength(text)),
      "x-goog-upload-header-content-type": "application/jsonl",
    },
  });
  const res = await fetch(start.headers.get("x-goog-upload-url")!, {
    method: "POST",
    headers: { "x-goog-api-key": server.key, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" },
    body: text,
  });
  return ((await res.json()) as { file: { name: string } }).file.name;
}

export function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = async () => {
      if (await check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 20);
    };
    void poll();
  });
}

/** Every batch row and batch line in a SQLite server's database, hidden ones too, read beside the server. */
export function storedBatchRows(server: TestServer): { batches: number; lines: number } {
  const db = new Database(join(server.dataDir, "tidings.db"), { readonly: true });
  try {
    return db
      .prepare("SELECT (SELECT COUNT(*) FROM batches) AS batches, (SELECT COUNT(*) FROM batch_lines) AS lines")
      .get() as {
      batches: number;
      lines: number;
    };
  } finally {
    db.close();
  }
}
