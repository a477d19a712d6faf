/**
 * The CLI's resource commands against a real server, run as a person runs them: `operations`, `files`,
 * `webhooks get|update|rotate`, `deliveries list` (newest first, "no deliveries") and the interaction hint.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
const exec = promisify(execFile);
let server: TestServer;
let receiver: Receiver;
let dir: string;
const tidings = async (...args: string[]) =>
  (await exec(process.execPath, [CLI, ...args, "--server", server.url, "--api-key", server.key])).stdout;
const failure = (...args: string[]) =>
  exec(process.execPath, [CLI, ...args, "--server", server.url, "--api-key", server.key]).then(
    () => {
      throw new Error(`tidings ${args.join(" ")} succeeded`);
    },
    (err: { stderr: string; code: number }) => err,
  );

beforeAll(async () => {
  server = await startTidings();
  receiver = await startReceiver();
  dir = mkdtempSync(join(tmpdir(), "tidings-cli-resources-"));
});
afterAll(async () => {
  await receiver.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("tidings operations", () => {
  it("creates custom operations, ends them each way, and lists and gets them", async () => {
    const created = await tidings("operations", "create", "--type", "export", "--metadata", '{"customer":"c1"}');
    const [, name] = /^(operations\/[a-z0-9]+) {2}RUNNING {2}export {2}\S+Z$/m.exec(created) ?? [];
    expect(name, created).toBeDefined();
    expect(
      await tidings("operations", "complete", name!, "--output-file-uri", "files/out.csv", "--response", '{"rows":3}'),
    ).toMatch(new RegExp(`^${name} {2}SUCCEEDED {2}export`));
    expect(JSON.parse(await tidings("operations", "get", name!))).toMatchObject({
      name,
      done: true,
      metadata: { customer: "c1", state: "SUCCEEDED" },
      response: { rows: 3 },
    });

    const second = /^(operations\/\S+)/.exec(await tidings("operations", "create", "--type", "render"))![1]!;
    expect(await tidings("operations", "fail", second, "--message", "disk full", "--code", "13")).toMatch(
      / FAILED {2}render {2}\S+ {2}error 13: disk full$/m,
    );
    const third = /^(operations\/\S+)/.exec(await tidings("operations", "create", "--type", "render"))![1]!;
    expect(await tidings("operations", "cancel", third.replace("operations/", ""))).toMatch(/ CANCELLED {2}render/);

    const listed = await tidings("operations", "list", "--filter", "kind=custom");
    expect(
      listed
        .trim()
        .split("\n")
        .map((l) => l.split("  ").slice(0, 2).join(" ")),
    ).toEqual([`${name} SUCCEEDED`, `${second} FAILED`, `${third} CANCELLED`]);
    expect(await tidings("operations", "list", "--filter", "done=false")).toBe("no operations\n");
    expect((await failure("operations", "create", "--type", "x", "--metadata", "{oops")).stderr).toContain(
      "--metadata: not JSON",
    );
  });
});

describe("tidings files", () => {
  it("lists, shows and downloads a batch's output file", async () => {
    expect(await tidings("files", "list")).toBe("no files\n");
    const lines = [1, 2].map((i) => ({
      request: { contents: [{ parts: [{ text: `q${i}` }] }] },
      metadata: { key: `k${i}` },
    }));
    const batch = await server.api("POST", "/v1/models/m:batchGenerateContent", {
      batch: { inputConfig: { requests: { requests: lines } } },
    });
    let output: string | undefined;
    await waitUntil(
      async () =>
        (output = (await server.api("GET", `/v1/${batch.body.name}`)).body.response?.responsesFile) !== undefined,
    );

    const listed = await tidings("files", "list");
    expect(listed).toMatch(new RegExp(`^${output}  application/jsonl  \\d+ bytes  GENERATED  \\S+Z`, "m"));
    expect(JSON.parse(await tidings("files", "get", output!))).toMatchObject({
      name: output,
      source: "GENERATED",
      state: "ACTIVE",
    });

    const viaApi = await (
      await fetch(`${server.url}/download/v1/${output}:download?alt=media`, {
        headers: { "x-goog-api-key": server.key },
      })
    ).text();
    expect(await tidings("files", "download", output!)).toBe(viaApi);
    const out = join(dir, "output.jsonl");
    expect(await tidings("files", "download", output!, "--out", out)).toBe(
      `saved ${Buffer.byteLength(viaApi)} bytes to ${out}\n`,
    );
    expect(readFileSync(out, "utf8")).toBe(viaApi);
    expect(viaApi.split("\n").filter(Boolean)).toHaveLength(2);
  });
});

describe("tidings webhooks and deliveries", () => {
  it("gets, updates and rotates a webhook; the rotated secret is the one that signs", async () => {
    const { id } = await registerWebhook(server, receiver.url, ["webhook.ping"]);
    const shown = await tidings("webhooks", "get", id);
    expect(shown).toMatch(
      new RegExp(
        `^${id} {2}enabled {2}${receiver.url} {2}\\[webhook\\.ping\\]\\n {2}secret whsec_\\.\\.\\.\\S{4}\\n {2}ordering unordered {2}rate limit none\\n {2}created \\S+Z`,
      ),
    );
    expect(JSON.parse(await tidings("webhooks", "get", id, "--json"))).toMatchObject({ id, uri: receiver.url });

    expect(await tidings("webhooks", "update", id, "--name", "ops", "--events", "webhook.ping,export.*")).toBe(
      `${id}  enabled  ${receiver.url}  [webhook.ping, export.*]  ops\n`,
    );
    expect(await tidings("webhooks", "update", id, "--state", "disabled")).toMatch(/ disabled /);
    await tidings("webhooks", "update", id, "--state", "enabled");
    expect((await failure("webhooks", "update", id)).stderr).toContain("nothing to change");

    const rotated = await tidings("webhooks", "rotate", id, "--revoke-now");
    const secret = /^new signing secret \(shown only now\): (whsec_\S+)\nthe old secrets no longer sign\n$/.exec(
      rotated,
    )?.[1];
    expect(secret, rotated).toBeDefined();
    const before = receiver.received.length;
    await tidings("webhooks", "ping", id);
    const [ping] = (await receiver.waitFor(before + 1)).slice(before);
    expect(verifyWithReferenceLibraries(secret!, ping!)).toMatchObject({ type: "webhook.ping" });
  });

  it("lists deliveries newest first, as the dashboard does, and says when there are none", async () => {
    const { id } = await registerWebhook(server, receiver.url, ["webhook.ping"]);
    expect(await tidings("deliveries", "list", "--webhook", id)).toBe("no deliveries\n");
    const before = receiver.received.length;
    for (let i = 0; i < 3; i++) {
      await tidings("webhooks", "ping", id);
      await receiver.waitFor(before + i + 1);
    }
    await waitUntil(
      async () =>
        (await server.api("GET", `/v1/webhooks/${id}/deliveries?state=succeeded`)).body.deliveries.length === 3,
    );
    const oldestFirst = (await server.api("GET", `/v1/webhooks/${id}/deliveries`)).body.deliveries.map(
      (d: { event_id: string }) => d.event_id,
    );
    const listed = (await tidings("deliveries", "list", "--webhook", id)).trim().split("\n");
    expect(listed.map((l) => l.split("  ")[1])).toEqual([...oldestFirst].reverse());
    expect(listed[0]).toMatch(/ {2}succeeded {2}1 attempt {2}HTTP 200$/);
    expect(await tidings("deliveries", "list", "--webhook", id, "--state", "failed")).toBe("no failed deliveries\n");
    // The API's order_by is what the CLI asks for.
    const newest = await server.api("GET", `/v1/webhooks/${id}/deliveries?order_by=create_time%20desc`);
    expect(newest.body.deliveries.map((d: { event_id: string }) => d.event_id)).toEqual([...oldestFirst].reverse());
  });
});

describe("tidings interactions", () => {
  it("the hint for resuming names the real call id", async () => {
    const tools = join(dir, "tools.json");
    writeFileSync(
      tools,
      JSON.stringify([
        {
          type: "function",
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      ]),
    );
    const created = await tidings("interactions", "create", "--input", "Weather in Quito?", "--tools", tools, "--wait");
    const [, id, callId] =
      /^(\S+) {2}requires_action\n {2}waits for get_weather\(\{"city":"Quito"\}\) {2}call_id (call_\w+)$/m.exec(
        created,
      ) ?? [];
    expect(callId, created).toBeDefined();
    expect(created).toContain(`  resume with: tidings interactions resume ${id} --result ${callId}='{"…": …}'`);
    expect(created).not.toContain("CALL_ID");
  });
});
