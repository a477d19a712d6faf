import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exited, spawnServer } from "../helpers/process.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

const KEY = "crash-test-key";
const EVENTS = 1000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function call(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "x-goog-api-key": KEY, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe("crash safety", () => {
  it("SIGKILL while 1,000 events are being delivered loses none; duplicates keep their webhook-id", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-crash-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // 50 ms per answer caps delivery well below the rate of completions, so the kill lands mid-stream.
    const receiver: Receiver = await startReceiver(() => ({ status: 200, delayMs: 50 }));
    cleanups.push(() => receiver.close());
    const env = { TIDINGS_DEV: "1", TIDINGS_API_KEY: KEY, TIDINGS_DATA_DIR: dataDir, TIDINGS_RETRY_SCHEDULE: "0.1" };

    const first = await spawnServer(env);
    const base = first.url;
    cleanups.push(() => void first.child.kill("SIGKILL"));
    const webhook = await call(base, "POST", "/v1/webhooks", { uri: receiver.url, subscribed_events: ["*"] });
    const ops: string[] = [];
    await inBatches([...Array(EVENTS).keys()], 50, async () =>
      ops.push((await call(base, "POST", "/v1/operations", { type: "job" })).name),
    );
    await inBatches(ops, 25, (name) => call(base, "POST", `/v1/${name}:complete`, {}));
    first.child.kill("SIGKILL");
    await exited(first.child);
    const beforeCrash = new Set(receiver.received.map((r) => r.headers["webhook-id"])).size;

    const second = await spawnServer(env);
    cleanups.push(async () => {
      second.child.kill("SIGTERM");
      await exited(second.child);
    });
    await receiver.waitFor(EVENTS, 60_000);
    const deadline = Date.now() + 60_000;
    while (new Set(receiver.received.map((r) => r.headers["webhook-id"])).size < EVENTS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }

    const idsByOperation = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const event = verifyWithReferenceLibraries(webhook.new_signing_secret, r) as { data: { id: string } };
      const ids = idsByOperation.get(event.data.id) ?? new Set<string>();
      ids.add(String(r.headers["webhook-id"]));
      idsByOperation.set(event.data.id, ids);
    }
    expect(idsByOperation.size).toBe(EVENTS);
    expect([...idsByOperation.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(new Set(ops)).toEqual(new Set(idsByOperation.keys()));
    // The kill must have interrupted delivery, or this test proves nothing.
    console.log(
      `crash test: ${beforeCrash} events received before SIGKILL, ${receiver.received.length} requests in all`,
    );
    expect(beforeCrash).toBeGreaterThan(0);
    expect(beforeCrash).toBeLessThan(EVENTS);
  });

  it("SIGTERM shuts down gracefully: in-flight attempts are recorded, nothing is re-sent", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-term-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const env = { TIDINGS_DEV: "1", TIDINGS_API_KEY: KEY, TIDINGS_DATA_DIR: dataDir };
    const first = await spawnServer(env);
    const base = first.url;
    await call(base, "POST", "/v1/webhooks", { uri: receiver.url, subscribed_events: ["*"] });
    const op = await call(base, "POST", "/v1/operations", { type: "job" });
    await call(base, "POST", `/v1/${op.name}:complete`, {});
    await receiver.waitFor(1);
    first.child.kill("SIGTERM");
    expect(await exited(first.child)).toBe(0);

    const second = await spawnServer(env);
    cleanups.push(async () => {
      second.child.kill("SIGTERM");
      await exited(second.child);
    });
    const events = await call(second.url, "GET", "/v1/events");
    const detail = await call(second.url, "GET", `/v1/events/${events.events[0].id}`);
    expect(detail.deliveries[0].state).toBe("succeeded");
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received).toHaveLength(1);
  });
});
