import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { verifyWebhook } from "@tidings/sdk/verify";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "./helpers/receiver.js";
import { startTidings, type TestServer } from "./helpers/tidings.js";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../dist/cli/main.js");
let server: TestServer | undefined;
let receiver: Receiver | undefined;
const children: ReturnType<typeof spawn>[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  await server?.close();
  await receiver?.close();
});

describe("tidings listen", () => {
  it("forwards a live event to a local server, signed so the SDK verifies it", async () => {
    server = await startTidings();
    receiver = await startReceiver();
    const child = spawn(process.execPath, [CLI, "listen", "--forward-to", receiver.url, "--server", server.url, "--api-key", server.key], { stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 10_000;
    while (!output.includes("Signing secret") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const secret = /whsec_[A-Za-z0-9+/=]+/.exec(output)?.[0];
    expect(secret, output).toBeDefined();

    const op = await server.api("POST", "/v1/operations", { type: "export" });
    await server.api("POST", `/v1/${op.body.name}:complete`, { output_file_uri: "files/e1" });
    const [got] = await receiver.waitFor(1);
    const event = await verifyWebhook(got!.body, got!.headers as Record<string, string>, { secret: secret! });
    expect(event).toMatchObject({ type: "export.succeeded", data: { id: op.body.name, output_file_uri: "files/e1" } });
    const events = await server.api("GET", "/v1/events");
    expect(got!.headers["webhook-id"]).toBe(events.body.events[0].id);

    while (!output.includes("export.succeeded") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(output).toMatch(/export\.succeeded\s+msg_\w+\s+→ 200/);
  });
});
