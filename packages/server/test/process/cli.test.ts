import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exited, spawnServer } from "../helpers/process.js";
import { decodeMp4 } from "../helpers/mp4-frames.js";
import { startReceiver } from "../helpers/receiver.js";
import { startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
const run = promisify(execFile);
let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTidings({ env: { TIDINGS_LOCAL_DELAY_MS: "20" } });
  dir = mkdtempSync(join(tmpdir(), "tidings-cli-"));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the tidings command", () => {
  it("is on the repository's PATH after npm install (npx tidings)", async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), "../../../../node_modules/.bin/tidings");
    const { stdout } = await run(bin, ["--version"]);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("tidings batches", () => {
  it("create --wait uploads, runs and follows a batch with a progress bar; get and list show it", async () => {
    const input = join(dir, "in.jsonl");
    writeFileSync(
      input,
      Array.from({ length: 30 }, (_, i) =>
        JSON.stringify({ key: `k${i}`, request: { contents: [{ parts: [{ text: `q${i}` }] }] } }),
      ).join("\n"),
    );
    const flags = ["--server", server.url, "--api-key", server.key];
    const { stdout } = await run(process.execPath, [
      CLI,
      "batches",
      "create",
      "--model",
      "gemini-2.5-flash",
      "--file",
      input,
      "--wait",
      ...flags,
    ]);
    const name = /^(batches\/[a-z0-9]+) created from files\//m.exec(stdout)?.[1];
    expect(name, stdout).toBeDefined();
    expect(stdout).toMatch(/\[#{30}\] 30\/30 done, 0 failed {2}SUCCEEDED/);
    expect(stdout).toMatch(/SUCCEEDED; output: files\/[a-z0-9]+/);

    const listed = await run(process.execPath, [CLI, "batches", "list", ...flags]);
    expect(listed.stdout).toContain(`${name}  SUCCEEDED  30/30 ok  in.jsonl`);
    const got = await run(process.execPath, [CLI, "batches", "get", name!, ...flags]);
    expect(JSON.parse(got.stdout)).toMatchObject({ name, done: true });
  });

  it("names the URL it tried, and how to set it, when no server answers there", async () => {
    // Port 2 is privileged, assigned to nothing in use, and not on fetch's list of blocked ports: nothing answers
    // there, and no test can start a server on it.
    const closed = "http://127.0.0.1:2";
    for (const args of [
      ["webhooks", "list"],
      ["batches", "list"],
    ]) {
      const failure = await run(process.execPath, [CLI, ...args, "--server", closed, "--api-key", "k"]).catch(
        (err: { stderr: string }) => err,
      );
      expect((failure as { stderr: string }).stderr).toMatch(
        new RegExp(`could not reach ${closed}/v1/\\S+ \\(.*ECONNREFUSED.*\\)`),
      );
      expect((failure as { stderr: string }).stderr).toContain("--server URL or TIDINGS_URL");
    }
    const fromEnv = await run(process.execPath, [CLI, "webhooks", "list", "--api-key", "k"], {
      env: { ...process.env, TIDINGS_URL: closed },
    }).catch((err: { stderr: string }) => err);
    expect((fromEnv as { stderr: string }).stderr).toContain(`could not reach ${closed}/v1/webhooks`);
  });

  it("fails clearly without an API key", async () => {
    await expect(
      run(process.execPath, [CLI, "batches", "list", "--server", server.url], {
        env: { ...process.env, TIDINGS_API_KEY: "" },
      }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("--api-key"),
    });
  });
});

describe("tidings webhooks and deliveries", () => {
  it("creates, lists, pings and deletes a webhook, and lists its deliveries", async () => {
    const receiver = await startReceiver();
    try {
      const flags = ["--server", server.url, "--api-key", server.key];
      const created = await run(process.execPath, [
        CLI,
        "webhooks",
        "create",
        "--uri",
        receiver.url,
        "--events",
        "webhook.ping,export.*",
        "--name",
        "cli",
        ...flags,
      ]);
      const id = /^([a-z0-9]{36}) {2}enabled/m.exec(created.stdout)?.[1];
      expect(id, created.stdout).toBeDefined();
      expect(created.stdout).toMatch(/signing secret \(shown only now\): whsec_/);
      expect((await run(process.execPath, [CLI, "webhooks", "list", ...flags])).stdout).toContain(
        `${id}  enabled  ${receiver.url}  [webhook.ping, export.*]  cli`,
      );
      await run(process.execPath, [CLI, "webhooks", "ping", id!, ...flags]);
      await receiver.waitFor(1);
      await waitUntil(
        async () =>
          (await server.api("GET", `/v1/webhooks/${id}/deliveries?state=succeeded`)).body.deliveries.length === 1,
      );
      const listed = await run(process.execPath, [CLI, "deliveries", "list", "--webhook", id!, ...flags]);
      expect(listed.stdout).toMatch(/msg_\w+ {2}succeeded {2}1 attempt {2}HTTP 200/);
      const recovered = await run(process.execPath, [
        CLI,
        "deliveries",
        "recover",
        "--webhook",
        id!,
        "--since",
        "2020-01-01T00:00:00Z",
        ...flags,
      ]);
      expect(recovered.stdout).toContain("0 deliveries re-queued");
      await run(process.execPath, [CLI, "webhooks", "delete", id!, ...flags]);
      expect((await run(process.execPath, [CLI, "webhooks", "list", ...flags])).stdout).not.toContain(id!);
      const ed25519 = await run(process.execPath, [
        CLI,
        "webhooks",
        "create",
        "--uri",
        receiver.url,
        "--signing-scheme",
        "v1a",
        ...flags,
      ]);
      expect(ed25519.stdout).toMatch(/public key \(verify v1a deliveries with it\): whpk_[A-Za-z0-9+/]{43}=/);
    } finally {
      await receiver.close();
    }
  });
});

describe("tidings interactions and videos", () => {
  it("create --wait pauses at the function call, resume --wait completes with the result, get shows it", async () => {
    const flags = ["--server", server.url, "--api-key", server.key];
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
    const created = await run(process.execPath, [
      CLI,
      "interactions",
      "create",
      "--input",
      "Use get_weather with city: Quito",
      "--tools",
      tools,
      "--wait",
      ...flags,
    ]);
    const [, id, callId] =
      /^([a-z0-9]{36}) {2}requires_action\n {2}waits for get_weather\(\{"city":"Quito"\}\) {2}call_id (\S+)/m.exec(
        created.stdout,
      ) ?? [];
    expect(callId, created.stdout).toBeDefined();

    const resumed = await run(process.execPath, [
      CLI,
      "interactions",
      "resume",
      id!,
      "--result",
      `${callId}={"temp_c": 14}`,
      "--wait",
      ...flags,
    ]);
    expect(resumed.stdout).toMatch(
      /^[a-z0-9]{36} {2}completed\n {2}\[local:gemini-2\.5-flash\] get_weather returned \{"temp_c":14\}/,
    );
    const got = await run(process.execPath, [CLI, "interactions", "get", id!, "--json", ...flags]);
    expect(JSON.parse(got.stdout)).toMatchObject({ id, status: "requires_action" });
  });

  it("videos generate --wait --out saves a clip that decodes", async () => {
    const out = join(dir, "clip.mp4");
    const { stdout } = await run(process.execPath, [
      CLI,
      "videos",
      "generate",
      "--prompt",
      "a paper boat",
      "--duration",
      "1",
      "--wait",
      "--out",
      out,
      "--server",
      server.url,
      "--api-key",
      server.key,
    ]);
    expect(stdout).toMatch(
      /^models\/veo-3\.0-generate-001\/operations\/[a-z0-9]{36} started\nGENERATED: files\/[a-z0-9]{36}\nsaved \d+ bytes/,
    );
    expect((await decodeMp4(readFileSync(out))).frames).toHaveLength(12);
  });
});

describe("tidings serve", () => {
  it("tells the CLI where it listens when that is not port 8080", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-serve-"));
    const { child, url: listening, output } = await spawnServer({ TIDINGS_DATA_DIR: dataDir, TIDINGS_API_KEY: "" });
    try {
      const url = /^ {2}export TIDINGS_URL=(\S+)$/m.exec(output())?.[1];
      expect(url, output()).toBe(listening);
      expect(new URL(listening).port).not.toBe("8080");
      // What the banner says to export is what a client command needs.
      const key = /^ {2}export TIDINGS_API_KEY=(\S+)/m.exec(output())?.[1];
      const { stdout } = await run(process.execPath, [CLI, "webhooks", "list"], {
        env: { ...process.env, TIDINGS_URL: url, TIDINGS_API_KEY: key },
      });
      expect(stdout).toBe("");
    } finally {
      child.kill("SIGTERM");
      await exited(child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("tidings demo", () => {
  it("runs a server, a receiver and a batch end to end on a fresh machine, explaining each step", async () => {
    const { stdout } = await run(process.execPath, [CLI, "demo"], { timeout: 60_000 });
    expect(stdout).toContain("Registered a static webhook for batch.*");
    expect(stdout).toMatch(/The receiver got batch\.succeeded, signature verified/);
    expect(stdout).toMatch(/"key":"q1"/);
    expect(stdout).toMatch(/The receiver got interaction\.requires_action, signature verified/);
    expect(stdout).toMatch(/The receiver got interaction\.completed, signature verified/);
    expect(stdout).toContain('get_weather returned {"temp_c":19,"sky":"sunny"}');
  });
});
