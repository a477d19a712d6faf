import { execFileSync } from "node:child_process";
import { constants } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Batch, BatchLine } from "../../src/core/batches.js";
import { newResourceId } from "../../src/core/ids.js";
import { startReceiver } from "../helpers/receiver.js";
import {
  ManualClock,
  registerWebhook,
  startTidings,
  storedBatchRows,
  waitUntil,
  type TestServer,
  uploadJsonl,
} from "../helpers/tidings.js";

let server: TestServer | undefined;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await server?.close();
  server = undefined;
});

/** Past any created time: every hidden batch was created before it. */
const EVER = Date.parse("2100-01-01T00:00:00Z");
const CREATE = "/v1/models/gemini-2.5-flash:batchGenerateContent";

const jsonl = (from: number, to: number) =>
  Array.from(
    { length: to - from },
    (_, i) =>
      `${JSON.stringify({ key: `k${from + i}`, request: { contents: [{ parts: [{ text: `p${from + i}` }] }] } })}\n`,
  ).join("");

/**
 * An uploaded JSONL file whose bytes are a named pipe: the create reads each line when the test writes it, so
 * the test holds the create halfway for as long as it likes, on any machine, and no timing decides the order.
 */
async function pipedFile(
  s: TestServer,
): Promise<{ fileName: string; write(text: string): Promise<void>; end(): Promise<void> }> {
  const fileName = await uploadJsonl(s, "\n");
  const path = join(s.dataDir, "files", s.projectId, fileName.replace(/^files\//, ""));
  await rm(path);
  execFileSync("mkfifo", [path]);
  // Opened read-write, so that opening waits for no reader, and the reader sees the end only when this closes.
  const pipe = await open(path, constants.O_RDWR);
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    await pipe.close();
  };
  closers.push(end);
  return {
    fileName,
    write: async (text) => {
      await pipe.write(text);
    },
    end,
  };
}

/** The one hidden batch, once at least `lines` of its lines are in the store: the create is halfway. */
async function halfCreated(s: TestServer, lines: number): Promise<string> {
  let id: string | undefined;
  await waitUntil(
    async () => {
      [id] = await s.store.batches.listHidden(EVER, 10);
      return id !== undefined && (await s.store.batchLines.all(id)).length >= lines;
    },
    20_000,
    `a hidden batch with ${lines} lines`,
  );
  return id as string;
}

describe("creating a batch from a JSONL file", () => {
  it("lets other calls and webhook deliveries through while the file is read, and hides the batch until it is all in", async () => {
    server = await startTidings();
    const s = server;
    const hooks = await startReceiver();
    closers.push(() => hooks.close());
    const hook = await registerWebhook(s, hooks.url, ["export.*"]);
    const file = await pipedFile(s);
    const order: string[] = [];
    const creating = s.api("POST", CREATE, { batch: { inputConfig: { fileName: file.fileName } } }).then((res) => {
      order.push("batch created");
      return res;
    });
    await file.write(jsonl(0, 700));
    // 600 lines (three chunks) are in; the create waits for the rest of the file.
    const hidden = await halfCreated(s, 600);

    // The store is free between chunks: an operation is created and completed, and its webhook is delivered and
    // recorded.
    const op = await s.api("POST", "/v1/operations", { type: "export" });
    expect(op.status).toBe(200);
    expect((await s.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/out" })).status).toBe(200);
    const [delivered] = await hooks.waitFor(1);
    expect(JSON.parse(delivered!.body)).toMatchObject({ type: "export.succeeded", data: { id: op.body.name } });
    await waitUntil(
      async () =>
        (await s.api("GET", `/v1/webhooks/${hook.id}/deliveries?state=succeeded`)).body.deliveries.length === 1,
    );
    // The half-created batch is nowhere to be seen.
    expect((await s.api("GET", "/v1/batches")).body.operations ?? []).toEqual([]);
    expect((await s.api("GET", `/v1/batches/${hidden}`)).status).toBe(404);
    expect((await s.api("GET", "/v1/operations")).body.operations.map((o: { name: string }) => o.name)).toEqual([
      op.body.name,
    ]);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('tidings_batch_lines{state="pending"} 0');
    expect(metrics).not.toMatch(/tidings_operations_unfinished\{kind="batch"/);
    order.push("other calls done");

    await file.write(jsonl(700, 1200));
    await file.end();
    const created = await creating;
    expect(order).toEqual(["other calls done", "batch created"]);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({
      name: `batches/${hidden}`,
      metadata: { state: "BATCH_STATE_PENDING", batchStats: { requestCount: "1200" } },
    });
    expect((await s.api("GET", "/v1/batches")).body.operations.map((b: { name: string }) => b.name)).toEqual([
      `batches/${hidden}`,
    ]);
    await waitUntil(
      async () => (await s.api("GET", `/v1/batches/${hidden}`)).body.done === true,
      20_000,
      "the batch to end",
    );
    expect((await s.api("GET", `/v1/batches/${hidden}`)).body.metadata).toMatchObject({
      state: "BATCH_STATE_SUCCEEDED",
      batchStats: { requestCount: "1200", successfulRequestCount: "1200" },
    });
  });

  it("a caller that hangs up halfway leaves no batch and no lines", async () => {
    server = await startTidings();
    const s = server;
    const file = await pipedFile(s);
    const hangUp = new AbortController();
    const creating = fetch(`${s.url}${CREATE}`, {
      method: "POST",
      headers: { "x-goog-api-key": s.key, "content-type": "application/json" },
      body: JSON.stringify({ batch: { inputConfig: { fileName: file.fileName } } }),
      signal: hangUp.signal,
    }).catch((err: unknown) => err);
    await file.write(jsonl(0, 1200));
    const hidden = await halfCreated(s, 1000);
    hangUp.abort();
    expect(await creating).toMatchObject({ name: "AbortError" });
    // The rest of the file never comes: the create stops at once, without waiting for it.
    await waitUntil(
      async () => (await s.store.batches.listHidden(EVER, 10)).length === 0,
      20_000,
      "the half-created batch to be deleted",
    );
    expect(await s.store.batchLines.all(hidden)).toEqual([]);
    expect(storedBatchRows(s)).toEqual({ batches: 0, lines: 0 });
    expect((await s.api("GET", "/v1/batches")).body.operations ?? []).toEqual([]);
  });

  it("the sweeper deletes a batch that a crash left half-created, with its lines, once it is an hour old", async () => {
    const clock = new ManualClock(Date.now());
    server = await startTidings({ clock });
    const s = server;
    const hidden = (createdAt: number): Batch => ({
      id: newResourceId(Date.now()),
      projectId: s.projectId,
      displayName: "",
      model: "models/m",
      state: "BATCH_STATE_PENDING",
      requestCount: 0,
      successfulRequestCount: 0,
      failedRequestCount: 0,
      deadlineAt: createdAt + 48 * 3_600_000,
      createdAt,
      updatedAt: createdAt,
    });
    const lines = Array.from(
      { length: 1234 },
      (_, index): BatchLine => ({ index, key: `k${index}`, request: "{}", state: "pending" }),
    );
    // As a process that died mid-create leaves them: one an hour and a minute ago, one a minute ago (still going, as
    // far as anyone knows).
    const crashed = hidden(clock.now() - 61 * 60_000);
    const recent = hidden(clock.now() - 60_000);
    for (const b of [crashed, recent]) {
      await s.store.batches.insertHidden(b);
      await s.store.batchLines.append(b.id, lines);
    }

    await waitUntil(
      async () => (await s.store.batches.listHidden(EVER, 10)).length === 1,
      20_000,
      "the sweeper to delete the crashed create",
    );
    expect(await s.store.batches.listHidden(EVER, 10)).toEqual([recent.id]);
    expect(await s.store.batchLines.all(crashed.id)).toEqual([]);
    expect(await s.store.batchLines.all(recent.id)).toHaveLength(1234);

    clock.advance(60 * 60_000);
    await waitUntil(
      async () => (await s.store.batches.listHidden(EVER, 10)).length === 0,
      20_000,
      "the sweeper to delete the other",
    );
    expect(storedBatchRows(s)).toEqual({ batches: 0, lines: 0 });
  });
});
