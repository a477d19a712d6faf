import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { verifyWebhook } from "@tidings/sdk/verify";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { startTidings, type TestServer } from "../helpers/tidings.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
let server: TestServer | undefined;
let receiver: Receiver | undefined;
const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  await server?.close();
  await receiver?.close();
});

/** Starts `tidings listen` forwarding to `receiver`; resolves with the secret it prints once it is connected. */
async function listenTo(server: TestServer, receiver: Receiver): Promise<{ secret: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    [CLI, "listen", "--forward-to", receiver.url, "--server", server.url, "--api-key", server.key],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 10_000;
  while (!output.includes("Signing secret") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const secret = /whsec_[A-Za-z0-9+/=]+/.exec(output)?.[0];
  expect(secret, output).toBeDefined();
  return { secret: secret!, output: () => output };
}

describe("tidings listen", () => {
  it("forwards a live event to a local server, signed so the SDK verifies it", async () => {
    server = await startTidings();
    receiver = await startReceiver();
    const { secret, output: printed } = await listenTo(server, receiver);

    const op = await server.api("POST", "/v1/operations", { type: "export" });
    await server.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/e1" });
    const [got] = await receiver.waitFor(1);
    const event = await verifyWebhook(got!.body, got!.headers as Record<string, string>, { secret });
    expect(event).toMatchObject({ type: "export.succeeded", data: { id: op.body.name, output_file_uri: "files/e1" } });
    const events = await server.api("GET", "/v1/events");
    expect(got!.headers["webhook-id"]).toBe(events.body.events[0].id);

    const deadline = Date.now() + 10_000;
    while (!printed().includes("export.succeeded") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(printed()).toMatch(/export\.succeeded\s+msg_\w+\s+→ 200/);
  });

  it("forwards the events of interactions and video generations", async () => {
    server = await startTidings();
    receiver = await startReceiver();
    const { secret } = await listenTo(server, receiver);

    const tools = [
      {
        type: "function",
        name: "get_weather",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    ];
    const paused = await server.api("POST", "/v1/interactions", {
      model: "m",
      input: "Use get_weather with city: Lima",
      tools,
      background: true,
    });
    const video = await server.api("POST", "/v1/models/veo-3.0-generate-001:predictLongRunning", {
      instances: [{ prompt: "a kite" }],
      parameters: { durationSeconds: 1 },
    });
    const forwarded = await receiver.waitFor(2);
    const events = await Promise.all(
      forwarded.map((r) => verifyWebhook(r.body, r.headers as Record<string, string>, { secret })),
    );
    expect(events.map((e) => [e.type, e.data.id]).sort()).toEqual(
      [
        ["interaction.requires_action", paused.body.id],
        ["video.generated", video.body.name],
      ].sort(),
    );
  });
});
