/**
 * A full disk (issue 18 §3): the data dir and the server's own log on a small tmpfs, filled with a file while
 * requests come, then freed. Refusals are 507/503 google.rpc.Status (never a 500), the process stays up and
 * answers /healthz though its log cannot be written, every acknowledged completion is delivered, and writes
 * succeed again once space returns, without a restart.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exited } from "../helpers/process.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { waitUntil } from "../helpers/tidings.js";
import { mountTmpfs, type Tmpfs, tmpfsAvailable } from "../helpers/tmpfs.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
const KEY = "full-disk-key";
const H = { "x-goog-api-key": KEY, "content-type": "application/json" };
/** Far longer than any answer takes: only a hung server misses it. */
const ANSWER_WITHIN_MS = 20_000;

interface Answer {
  status: number;
  body: any;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  // A server that hangs (what a full disk used to cause) fails the test here, rather than stalling it.
  const res = await fetch(`${base}${path}`, {
    method,
    headers: H,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** Writes a file until the disk has no room left, in ever smaller pieces; its path. */
function fill(dir: string): string {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9]) {
      const piece = Buffer.alloc(size, 7);
      try {
        for (;;) writeSync(fd, piece);
      } catch (err) {
        if ((err as { code?: string }).code !== "ENOSPC") throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

describe.skipIf(!tmpfsAvailable("the full-disk test"))("a full disk", () => {
  let disk: Tmpfs;
  let receiver: Receiver;
  let child: ChildProcess;
  let base: string;
  const logPath = () => join(disk.dir, "tidings.log");

  beforeAll(async () => {
    disk = mountTmpfs(24);
    receiver = await startReceiver();
    const dataDir = join(disk.dir, "data");
    mkdirSync(dataDir);
    // The log on the same disk: what the process writes there fails too once it is full.
    const log = openSync(logPath(), "a");
    child = spawn(process.execPath, [CLI, "serve"], {
      env: {
        ...process.env,
        TIDINGS_PORT: "0",
        TIDINGS_DATA_DIR: dataDir,
        TIDINGS_DEV: "1",
        TIDINGS_API_KEY: KEY,
        TIDINGS_LOG_LEVEL: "info",
        TIDINGS_RETRY_SCHEDULE: "0.2",
      },
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    await waitUntil(
      () => /Tidings is listening on (\S+)/.test(readFileSync(logPath(), "utf8")) || child.exitCode !== null,
      20_000,
      "the server to listen",
    );
    const listening = /Tidings is listening on (\S+)/.exec(readFileSync(logPath(), "utf8"));
    if (listening === null) throw new Error(`the server did not start:\n${readFileSync(logPath(), "utf8")}`);
    base = listening[1] as string;
  });

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      child.kill("SIGTERM");
      // A hung server ignores SIGTERM's graceful stop; the disk cannot be unmounted while it holds files there.
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited(child);
      clearTimeout(killer);
    }
    await receiver?.close();
    disk?.unmount();
  });

  it("refuses writes with 507/503, keeps answering and delivering, and writes again once space returns", async () => {
    expect((await call(base, "POST", "/v1/webhooks", { uri: receiver.url, subscribed_events: ["*"] })).status).toBe(
      200,
    );
    const operations: string[] = [];
    for (let i = 0; i < 20; i++)
      operations.push((await call(base, "POST", "/v1/operations", { type: "job" })).body.name);
    const acknowledged: string[] = [];
    const complete = async (name: string) => {
      const answer = await call(base, "POST", `/v1/${name}:complete`, {});
      if (answer.status === 200) acknowledged.push(name);
      return answer;
    };
    for (const name of operations.slice(0, 10)) expect((await complete(name)).status).toBe(200);

    const filler = fill(disk.dir);

    // As the issue tried it: 300 creates, then the other completes, and an upload, all on a full disk.
    const answers: Answer[] = [];
    for (let i = 0; i < 300; i++)
      answers.push(await call(base, "POST", "/v1/operations", { type: "job", metadata: { pad: "x".repeat(2000) } }));
    for (const name of operations.slice(10)) answers.push(await complete(name));
    const upload = await fetch(`${base}/upload/v1beta/files`, {
      method: "POST",
      headers: {
        ...H,
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": String(1 << 20),
        "x-goog-upload-header-content-type": "application/octet-stream",
      },
    });
    const chunk = await fetch(upload.headers.get("x-goog-upload-url")!, {
      method: "POST",
      headers: { ...H, "x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0" },
      body: Buffer.alloc(1 << 20, 1),
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    answers.push({ status: chunk.status, body: await chunk.json() });

    const refused = answers.filter((a) => a.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect([503, 507]).toContain(answer.status);
      expect(answer.body.error).toMatchObject({
        code: answer.status,
        status: answer.status === 507 ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE",
      });
    }
    expect(refused.find((a) => a.status === 507)?.body.error.message).toContain("disk is full");
    expect(chunk.status).toBe(507);

    // Up, answering, reading; its log lines that could not be written were dropped and counted, never waited on.
    expect(child.exitCode).toBeNull();
    expect((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })).status).toBe(200);
    expect((await call(base, "GET", `/v1/${operations[0]}`)).body.done).toBe(true);
    const metrics = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) })).text();
    expect(Number(/^tidings_log_writes_dropped_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    // Space returns: writes succeed again, in the same process.
    rmSync(filler);
    await waitUntil(
      async () => (await call(base, "POST", "/v1/operations", { type: "job" })).status === 200,
      30_000,
      "a write after space returned",
    );
    expect(child.exitCode).toBeNull();

    // Every acknowledged completion is delivered.
    const delivered = () =>
      new Set(receiver.received.map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id));
    await waitUntil(
      () => acknowledged.every((name) => delivered().has(name)),
      60_000,
      "every acknowledged completion to be delivered",
    );
    expect(acknowledged.length).toBeGreaterThanOrEqual(10);
  });
});
