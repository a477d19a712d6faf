/**
 * The README's examples, run as written against a real server on the default provider: the dynamic-webhook
 * verification that needs only jose, and the interaction that pauses at requires_action asking for Paris.
 * The code is read out of README.md, so an edit there that breaks an example breaks this test.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Received, type Receiver } from "../helpers/receiver.js";
import { startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";

const REPO = join(import.meta.dirname, "..", "..", "..", "..");
const README = readFileSync(join(REPO, "README.md"), "utf8");
const EXAMPLE_HOOK = "https://app.example.com/hook";

/** The README's fenced code block that contains `marker`. */
function codeBlock(marker: string): string {
  const block = [...README.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)]
    .map((m) => m[1] as string)
    .find((code) => code.includes(marker));
  if (block === undefined) throw new Error(`README.md has no code block with ${marker}`);
  return block;
}

type Verify = (
  rawBody: Uint8Array,
  headers: Record<string, unknown>,
) => Promise<{ type: string; data: Record<string, any> }>;

/** The README's jose-only snippet, pointed at this server and receiver, loaded as the module it is. */
async function readmeVerifier(server: TestServer, receiver: Receiver): Promise<Verify> {
  const snippet = codeBlock("verifyDynamicWebhook");
  expect(snippet).toContain('const TIDINGS = "http://127.0.0.1:8080"');
  expect(snippet).toContain(EXAMPLE_HOOK);
  // Under the repository, so that the snippet's `import … from "jose"` resolves as it would in an application.
  const dir = join(REPO, "test-output", "readme");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `verify-dynamic-${process.pid}-${Date.now()}.mjs`);
  writeFileSync(
    file,
    snippet
      .replace('"http://127.0.0.1:8080"', JSON.stringify(server.url))
      .replace(JSON.stringify(EXAMPLE_HOOK), JSON.stringify(receiver.url)),
  );
  return ((await import(pathToFileURL(file).href)) as { verifyDynamicWebhook: Verify }).verifyDynamicWebhook;
}

const bytes = (delivery: Received) => new TextEncoder().encode(delivery.body);

async function deliveryOf(receiver: Receiver, type: string, id: string): Promise<Received> {
  let found: Received | undefined;
  const matches = (r: Received) =>
    ((b: { type: string; data: { id: string } }) => b.type === type && b.data.id === id)(JSON.parse(r.body));
  await waitUntil(() => (found = receiver.received.find(matches)) !== undefined, 20_000, `${type} for ${id}`);
  return found!;
}

describe("the README's examples", () => {
  let server: TestServer;
  let receiver: Receiver;
  let verifyDynamicWebhook: Verify;
  beforeAll(async () => {
    server = await startTidings();
    receiver = await startReceiver();
    verifyDynamicWebhook = await readmeVerifier(server, receiver);
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  it("says the dynamic JWT comes in webhook-signature, and its jose-only snippet verifies one (and refuses a changed body)", async () => {
    expect(README).toMatch(/`webhook-signature` \*\*is the JWT\*\* itself/);
    const created = await server.api("POST", "/v1/operations", {
      type: "render",
      webhook_config: { uris: [receiver.url] },
    });
    await server.api("POST", `/v1/${created.body.name}:complete`, { output_file_uri: "files/clip" });
    const delivery = await deliveryOf(receiver, "render.succeeded", created.body.name);
    expect(delivery.headers["webhook-signature"]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const event = await verifyDynamicWebhook(bytes(delivery), delivery.headers);
    expect(event).toMatchObject({
      type: "render.succeeded",
      data: { id: created.body.name, output_file_uri: "files/clip" },
    });

    const changed = new TextEncoder().encode(delivery.body.replace("files/clip", "files/evil"));
    await expect(verifyDynamicWebhook(changed, delivery.headers)).rejects.toThrow("does not sign this delivery");
    await expect(
      verifyDynamicWebhook(bytes(delivery), { ...delivery.headers, "webhook-id": "msg_other" }),
    ).rejects.toThrow();
  });

  it("the interaction example pauses at requires_action asking for Paris on the default provider, and resumes to completed", async () => {
    expect(server.config.provider).toBe("local");
    const code = codeBlock('input: "Weather in Paris?"');
    const lines = code.split("\n");
    const pause = lines.findIndex((l) => l.startsWith("// …interaction.requires_action arrives"));
    const resume = lines.findIndex((l, i) => i > pause && !l.startsWith("//"));
    expect(pause).toBeGreaterThan(0);
    // What the README promises the event carries.
    expect(lines.slice(pause, resume).join("\n")).toContain('name: "get_weather", arguments: { city: "Paris" }');
    const toHere = (part: string[]) =>
      part.join("\n").replaceAll(JSON.stringify(EXAMPLE_HOOK), JSON.stringify(receiver.url));
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<any>;
    const ai = new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } });

    const { run } = await new AsyncFunction("ai", `${toHere(lines.slice(0, pause))}\nreturn { run };`)(ai);
    const paused = await deliveryOf(receiver, "interaction.requires_action", run.id);
    const event = await verifyDynamicWebhook(bytes(paused), paused.headers);
    expect(event.data.required_actions).toEqual([
      { id: expect.stringMatching(/^call_/), name: "get_weather", arguments: { city: "Paris" } },
    ]);
    expect(event.data.user_metadata).toEqual({ order: "o-42" });
    expect((await ai.interactions.get(run.id)).status).toBe("requires_action");

    const { resumed } = await new AsyncFunction(
      "ai",
      "run",
      "event",
      `${toHere(lines.slice(resume))}\nreturn { resumed };`,
    )(ai, run, event);
    await waitUntil(
      async () => (await ai.interactions.get(resumed.id)).status === "completed",
      20_000,
      "the continuation to complete",
    );
    expect((await ai.interactions.get(resumed.id)).output_text).toBe(
      '[local:gemini-2.5-flash] get_weather returned {"temp_c":21}',
    );
  });
});
