/**
 * The acceptance flow of issue 8 across a crash, through both lines of @google/genai: a background
 * interaction with a function tool pushes a verified interaction.requires_action; the server is killed with
 * SIGKILL and started again; the interaction still requires action, with its function_call; resuming it with a
 * function_result pushes interaction.completed, and the final output uses the result. While it waits, the
 * paused interaction is only a row in the store: nothing in the killed process was needed to resume it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GoogleGenAI as GoogleGenAI2 } from "@google/genai";
import { GoogleGenAI as GoogleGenAI3 } from "@google/genai-3";
import { afterEach, describe, expect, it } from "vitest";
import { exited, spawnServer } from "../helpers/process.js";
import { startReceiver, type Received, type Receiver } from "../helpers/receiver.js";
import { waitUntil } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

const KEY = "interaction-crash-key";
const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function delivery(receiver: Receiver, type: string, id: string): Promise<Received> {
  let found: Received | undefined;
  await waitUntil(
    () =>
      (found = receiver.received.find(
        (r) => r.body.includes(`"type":"${type}"`) && r.body.includes(`"id":"${id}"`),
      )) !== undefined,
    20_000,
    `${type} for ${id}`,
  );
  return found!;
}

describe.each([
  ["2.32", GoogleGenAI2],
  ["3.x", GoogleGenAI3],
])("@google/genai %s: a paused interaction survives SIGKILL", (_version, GoogleGenAI) => {
  it("requires action before the kill, still does after the restart, and a function_result completes it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-interaction-crash-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const env = { TIDINGS_DEV: "1", TIDINGS_API_KEY: KEY, TIDINGS_DATA_DIR: dataDir };
    // Both lines type interactions identically; TypeScript cannot call a method on the union of the two clients.
    const clientOf = (baseUrl: string) =>
      new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl } }) as unknown as GoogleGenAI2;

    const first = await spawnServer(env);
    let ai = clientOf(first.url);
    cleanups.push(() => void first.child.kill("SIGKILL"));
    const hook = await ai.webhooks.create({ uri: receiver.url, subscribed_events: ["interaction.*"] });
    const created = await ai.interactions.create({
      model: "gemini-2.5-flash",
      input: "Weather in Paris? Use get_weather with city: Paris",
      tools: [weather],
      background: true,
    });
    const event = verifyWithReferenceLibraries(
      hook.new_signing_secret!,
      await delivery(receiver, "interaction.requires_action", created.id),
    ) as {
      data: { required_actions: { id: string; name: string; arguments: unknown }[] };
    };
    const [action] = event.data.required_actions;
    expect(action).toMatchObject({ name: "get_weather", arguments: { city: "Paris" } });

    first.child.kill("SIGKILL");
    await exited(first.child);
    const second = await spawnServer(env);
    cleanups.push(async () => {
      second.child.kill("SIGTERM");
      await exited(second.child);
    });
    ai = clientOf(second.url);

    const waiting = await ai.interactions.get(created.id);
    expect(waiting.status).toBe("requires_action");
    expect(waiting.steps?.at(-1)).toEqual({
      type: "function_call",
      id: action!.id,
      name: "get_weather",
      arguments: { city: "Paris" },
    });

    const resumed = await ai.interactions.create({
      model: "gemini-2.5-flash",
      previous_interaction_id: created.id,
      input: [
        { type: "function_result", call_id: action!.id, name: "get_weather", result: { temp_c: 21, sky: "clear" } },
      ],
      background: true,
    });
    verifyWithReferenceLibraries(
      hook.new_signing_secret!,
      await delivery(receiver, "interaction.completed", resumed.id),
    );
    const done = await ai.interactions.get(resumed.id);
    expect(done.status).toBe("completed");
    expect(done.output_text).toBe('[local:gemini-2.5-flash] get_weather returned {"temp_c":21,"sky":"clear"}');
    // One requires_action event: a delivery whose success the kill kept from being recorded is re-sent with its
    // webhook-id.
    expect(
      new Set(
        receiver.received
          .filter((r) => r.body.includes("interaction.requires_action"))
          .map((r) => r.headers["webhook-id"]),
      ).size,
    ).toBe(1);
  });
});

describe("a background agent run killed midway", () => {
  it("continues after the restart from the steps it had stored, without repeating them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tidings-agent-crash-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const env = { TIDINGS_DEV: "1", TIDINGS_API_KEY: KEY, TIDINGS_DATA_DIR: dataDir, TIDINGS_LOCAL_DELAY_MS: "400" };
    const clientOf = (baseUrl: string) => new GoogleGenAI3({ apiKey: KEY, httpOptions: { baseUrl } });

    const first = await spawnServer(env);
    let ai = clientOf(first.url);
    cleanups.push(() => void first.child.kill("SIGKILL"));
    const research = await ai.interactions.create({
      agent: "deep-research-pro-preview-12-2025",
      input: "Research webhooks",
      background: true,
      webhook_config: { uris: [receiver.url] },
    });
    await waitUntil(
      async () => ((await ai.interactions.get(research.id)).steps?.length ?? 0) >= 3,
      20_000,
      "two research steps",
    );
    first.child.kill("SIGKILL");
    await exited(first.child);
    const stepsAtKill = (
      await (async () => {
        const second = await spawnServer(env);
        cleanups.push(async () => {
          second.child.kill("SIGTERM");
          await exited(second.child);
        });
        ai = clientOf(second.url);
        return ai.interactions.get(research.id);
      })()
    ).steps!.length;
    expect(stepsAtKill).toBeLessThan(6);

    await delivery(receiver, "interaction.completed", research.id);
    const report = await ai.interactions.get(research.id);
    expect(report.steps?.map((s) => s.type)).toEqual([
      "user_input",
      "thought",
      "thought",
      "thought",
      "thought",
      "model_output",
    ]);
    expect(report.output_text).toContain("# Research report: Research webhooks");
  });
});
