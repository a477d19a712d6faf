import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeOpenAI } from "../helpers/fake-openai.js";
import { exited, spawnServer } from "../helpers/process.js";

const KEY = "batch-crash-key";
const LINES = 400;
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
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

describe("batch crash safety", () => {
  it("SIGKILL mid-batch, restart: the batch completes, every key once, finished lines not redone", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-batch-crash-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const model = await startFakeOpenAI(10);
    cleanups.push(() => model.close());
    const env = {
      TIDINGS_API_KEY: KEY,
      TIDINGS_DATA_DIR: dataDir,
      TIDINGS_PROVIDER: "openai",
      TIDINGS_PROVIDER_BASE_URL: model.url,
      TIDINGS_PROVIDER_CONCURRENCY: "4",
    };

    const first = await spawnServer(env);
    cleanups.push(() => void first.child.kill("SIGKILL"));
    let base = first.url;
    const requests = Array.from({ length: LINES }, (_, i) => ({
      request: { contents: [{ role: "user", parts: [{ text: `k${i}` }] }] },
      metadata: { key: `k${i}` },
    }));
    const batch = await call(base, "POST", "/v1/models/m:batchGenerateContent", {
      batch: { displayName: "crash", inputConfig: { requests: { requests } } },
    });
    let before = 0;
    while (before < 100) {
      before = Number((await call(base, "GET", `/v1/${batch.name}`)).metadata.batchStats.successfulRequestCount);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill("SIGKILL");
    await exited(first.child);
    const recordedBeforeCrash = Number(
      (
        await (async () => {
          const second = await spawnServer(env);
          cleanups.push(async () => {
            second.child.kill("SIGTERM");
            await exited(second.child);
          });
          base = second.url;
          return call(base, "GET", `/v1/${batch.name}`);
        })()
      ).metadata.batchStats.successfulRequestCount,
    );
    expect(recordedBeforeCrash).toBeGreaterThanOrEqual(100);
    expect(recordedBeforeCrash).toBeLessThan(LINES);

    let done: any;
    const deadline = Date.now() + 30_000;
    do {
      done = await call(base, "GET", `/v1/${batch.name}`);
      await new Promise((r) => setTimeout(r, 50));
    } while (!done.done && Date.now() < deadline);
    expect(done.metadata.state).toBe("BATCH_STATE_SUCCEEDED");
    expect(done.metadata.batchStats).toMatchObject({
      requestCount: String(LINES),
      successfulRequestCount: String(LINES),
      failedRequestCount: "0",
    });
    const keys = done.metadata.output.inlinedResponses.inlinedResponses.map(
      (r: { metadata: { key: string } }) => r.metadata.key,
    );
    expect(keys).toEqual(requests.map((r) => r.metadata.key));
    const output = await (
      await fetch(
        `${base}/download/v1beta/files/${done.metadata.output.responsesFile.replace("files/", "")}:download?alt=media`,
        {
          headers: { "x-goog-api-key": KEY },
        },
      )
    ).text();
    const outKeys = output
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { key: string }).key);
    expect(new Set(outKeys).size).toBe(LINES);
    expect(outKeys).toHaveLength(LINES);

    // Lines recorded before the crash were not sent again; only those in flight or unrecorded were.
    const redone = model.prompts.length - LINES;
    console.log(`batch crash test: ${recordedBeforeCrash} lines recorded before SIGKILL, ${redone} requests repeated`);
    // Every line reached the model, and none more often than a crash can explain.
    expect(new Set(model.prompts)).toEqual(new Set(requests.map((r) => r.request.contents[0]!.parts[0]!.text)));
    expect(redone).toBeLessThan(recordedBeforeCrash / 2);
  });
});
