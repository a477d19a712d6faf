/**
 * Interactions end to end through both lines of @google/genai (docs/wire.md: interactions, docs/wire/interactions.md):
 * a background run that pauses for a function result and is resumed, the 400s of a misused resume, cancel,
 * streaming, the deep-research agent, and the openai provider's tool calls against a local chat-completions
 * server. Restarts are in interaction-crash.test.ts.
 */
import { GoogleGenAI as GoogleGenAI2 } from "@google/genai";
import { GoogleGenAI as GoogleGenAI3 } from "@google/genai-3";
import { verifyWebhook } from "@tidings/sdk/verify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localReplyText } from "../../src/providers/local.js";
import { chatReply, startUpstream, type Upstream } from "../helpers/upstream.js";
import { startReceiver, type Receiver, type Received } from "../helpers/receiver.js";
import { registerWebhook, startTidings, waitUntil, type TestServer } from "../helpers/tidings.js";
import { verifyWithReferenceLibraries } from "../helpers/verify.js";

const MODEL = "gemini-2.5-flash";
const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

interface EventBody {
  type: string;
  data: { id: string; [key: string]: unknown };
}

/** The first delivery to `receiver` of an event of `type` about `id`, once it arrives. */
async function delivery(receiver: Receiver, type: string, id: string): Promise<Received> {
  let found: Received | undefined;
  await waitUntil(
    () =>
      (found = receiver.received.find((r) =>
        ((b: EventBody) => b.type === type && b.data.id === id)(JSON.parse(r.body) as EventBody),
      )) !== undefined,
    20_000,
    `${type} for ${id}`,
  );
  return found!;
}

/** What a promise rejected with: the HTTP status and google.rpc.Status body the client's error carries. */
async function rejection(promise: Promise<unknown>): Promise<{
  status: number;
  error: { code: number; message: string; status: string; details?: { fieldViolations: { field: string }[] }[] };
}> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status: number; error: { error: never } };
    return { status: e.status, error: e.error.error };
  }
  throw new Error("expected the call to fail");
}

describe.each([
  ["2.32", GoogleGenAI2],
  ["3.x", GoogleGenAI3],
])("@google/genai %s ai.interactions against Tidings (local provider)", (_version, GoogleGenAI) => {
  let server: TestServer;
  let receiver: Receiver;
  let secret: string;
  beforeAll(async () => {
    server = await startTidings();
    receiver = await startReceiver();
    secret = (await registerWebhook(server, receiver.url, ["interaction.*"])).secret;
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });
  // Both lines type interactions identically; TypeScript cannot call a method on the union of the two clients.
  const client = () =>
    new GoogleGenAI({ apiKey: server.key, httpOptions: { baseUrl: server.url } }) as unknown as GoogleGenAI2;

  it("pauses a background run at requires_action with a verified event, and a function_result resumes it to completed", async () => {
    const ai = client();
    const created = await ai.interactions.create({
      model: MODEL,
      input: "Weather in Paris? Use get_weather with city: Paris",
      tools: [weather],
      background: true,
    });
    expect(created.status).toBe("in_progress");

    const paused = await delivery(receiver, "interaction.requires_action", created.id);
    const event = verifyWithReferenceLibraries(secret, paused) as EventBody;
    const [action] = event.data.required_actions as { id: string; name: string; arguments: unknown }[];
    expect(action).toEqual({ id: expect.stringMatching(/^call_/), name: "get_weather", arguments: { city: "Paris" } });
    // Thin: a pointer and what the handler needs to act, never the conversation.
    expect(Object.keys(event.data).sort()).toEqual(["id", "required_actions"]);

    const waiting = await ai.interactions.get(created.id);
    expect(waiting.status).toBe("requires_action");
    expect(waiting.steps?.at(-1)).toEqual({
      type: "function_call",
      id: action!.id,
      name: "get_weather",
      arguments: { city: "Paris" },
    });

    const resumed = await ai.interactions.create({
      model: MODEL,
      previous_interaction_id: created.id,
      input: [
        { type: "function_result", call_id: action!.id, name: "get_weather", result: { temp_c: 21, sky: "clear" } },
      ],
      tools: [weather],
      background: true,
    });
    const completed = verifyWithReferenceLibraries(
      secret,
      await delivery(receiver, "interaction.completed", resumed.id),
    ) as EventBody;
    expect(completed.data).toEqual({ id: resumed.id });
    const done = await ai.interactions.get(resumed.id);
    expect(done).toMatchObject({ status: "completed", previous_interaction_id: created.id });
    expect(done.output_text).toBe(`[local:${MODEL}] get_weather returned {"temp_c":21,"sky":"clear"}`);
  });

  it("answers a foreground interaction in the reply, and streams one as Server-Sent Events", async () => {
    const ai = client();
    const sync = await ai.interactions.create({ model: MODEL, input: "hello there" });
    expect(sync.status).toBe("completed");
    expect(sync.output_text).toBe(localReplyText(MODEL, "hello there"));
    expect((await ai.interactions.get(sync.id)).steps).toEqual(sync.steps);

    const stream = await ai.interactions.create({
      model: MODEL,
      input: "Use get_weather with city: Oslo",
      tools: [weather],
      stream: true,
    });
    const events: { event_type: string; [key: string]: unknown }[] = [];
    for await (const e of stream) events.push(e as (typeof events)[number]);
    expect(events.map((e) => e.event_type)).toEqual([
      "interaction.created",
      "interaction.status_update",
      "step.start",
      "step.stop",
      "interaction.completed",
    ]);
    expect(events[2]).toMatchObject({
      step: { type: "function_call", name: "get_weather", arguments: { city: "Oslo" } },
    });
    expect(events[4]).toMatchObject({ interaction: { status: "requires_action" } });

    // The same pause, streamed again later by id (as ai.interactions.get with stream: true reads it).
    const id = (events[0]?.interaction as { id: string } | undefined)?.id ?? "";
    expect(id).not.toBe("");
    const replay: string[] = [];
    for await (const e of await ai.interactions.get(id, { stream: true }))
      replay.push((e as { event_type: string }).event_type);
    expect(replay).toEqual(events.map((e) => e.event_type));

    const unstored = await ai.interactions.create({ model: MODEL, input: "forget me", store: false });
    expect(unstored.status).toBe("completed");
    expect((await rejection(ai.interactions.get(unstored.id))).status).toBe(404);
  });

  it("streams a background agent run as it goes, following the store", async () => {
    const ai = client();
    const stream = await ai.interactions.create({
      agent: "deep-research-pro-preview-12-2025",
      input: "Research streams",
      background: true,
      stream: true,
    });
    const kinds: string[] = [];
    let last: { interaction?: { status: string } } = {};
    for await (const e of stream) {
      kinds.push(
        `${(e as { event_type: string }).event_type}${"step" in e ? `:${(e.step as { type: string }).type}` : ""}`,
      );
      last = e as typeof last;
    }
    expect(kinds).toEqual([
      "interaction.created",
      "interaction.status_update",
      ...Array(4).fill(["step.start:thought", "step.stop"]).flat(),
      "step.start:model_output",
      "step.delta",
      "step.stop",
      "interaction.completed",
    ]);
    expect(last.interaction?.status).toBe("completed");
  });

  it("refuses a misused resume with a 400 naming the field, never a 409 the client would retry", async () => {
    const ai = client();
    const noBackground = await rejection(
      ai.interactions.create({ model: MODEL, input: "x", webhook_config: { uris: [receiver.url] } }),
    );
    expect(noBackground.status).toBe(400);
    expect(noBackground.error.details?.[0]?.fieldViolations[0]?.field).toBe("webhook_config");
    expect(noBackground.error.message).toContain("requires background: true");

    const paused = await ai.interactions.create({
      model: MODEL,
      input: "Use get_weather with city: Rome",
      tools: [weather],
      background: true,
    });
    await delivery(receiver, "interaction.requires_action", paused.id);
    const stranger = await rejection(
      ai.interactions.create({
        model: MODEL,
        previous_interaction_id: paused.id,
        input: [{ type: "function_result", call_id: "call_nobody", result: { ok: true } }],
        background: true,
      }),
    );
    expect(stranger.status).toBe(400);
    expect(stranger.error.details?.[0]?.fieldViolations[0]?.field).toBe("input[0].call_id");

    await ai.interactions.cancel(paused.id);
    const call = (await ai.interactions.get(paused.id)).steps?.at(-1) as { id: string };
    const finished = await rejection(
      ai.interactions.create({
        model: MODEL,
        previous_interaction_id: paused.id,
        input: [{ type: "function_result", call_id: call.id, result: { temp_c: 30 } }],
      }),
    );
    expect(finished.status).toBe(400);
    expect(finished.error.message).toContain("cancelled");
    expect((await rejection(ai.interactions.cancel(paused.id))).status).toBe(400);
  });

  it("runs the deep-research agent in the background to interaction.completed, and deletes with 200 {}", async () => {
    const ai = client();
    const research = await ai.interactions.create({
      agent: "deep-research-pro-preview-12-2025",
      input: "Research webhooks versus polling",
      background: true,
    });
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
    expect(report.output_text).toContain("# Research report: Research webhooks versus polling");
    await ai.interactions.delete(research.id);
    expect((await rejection(ai.interactions.get(research.id))).status).toBe(404);
  });
});

describe("interactions on the openai provider, against a local chat-completions server", () => {
  let upstream: Upstream | undefined;
  let server: TestServer | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await server?.close();
    await upstream?.close();
    await receiver?.close();
    server = upstream = receiver = undefined;
  });
  const start = async (reply: Parameters<typeof startUpstream>[0]) => {
    upstream = await startUpstream(reply);
    receiver = await startReceiver();
    server = await startTidings({
      env: { TIDINGS_PROVIDER: "openai", TIDINGS_PROVIDER_BASE_URL: `${upstream.origin}/v1` },
    });
    return {
      ai: new GoogleGenAI3({ apiKey: server.key, httpOptions: { baseUrl: server.url } }),
      upstream,
      receiver,
      server,
    };
  };

  it("maps tool_calls to a paused interaction and the function_result to a tool message, end to end", async () => {
    const { ai, upstream, receiver, server } = await start((n) => ({
      json:
        n === 0
          ? {
              id: "chatcmpl-1",
              model: "qwen2.5-7b",
              choices: [
                {
                  index: 0,
                  message: {
                    role: "assistant",
                    content: null,
                    tool_calls: [
                      {
                        id: "call_abc",
                        type: "function",
                        function: { name: "get_weather", arguments: '{"city":"Paris"}' },
                      },
                    ],
                  },
                  finish_reason: "tool_calls",
                },
              ],
              usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 },
            }
          : chatReply("It is 21 °C and clear in Paris."),
    }));
    const user_metadata = { order: "o-42" };
    const created = await ai.interactions.create({
      model: "qwen2.5-7b",
      input: "Weather in Paris?",
      system_instruction: "Answer in one sentence.",
      tools: [weather],
      background: true,
      webhook_config: { uris: [receiver.url], user_metadata },
    });
    const paused = await delivery(receiver, "interaction.requires_action", created.id);
    const event = await verifyWebhook(paused.body, paused.headers as Record<string, string>, {
      jwks: `${server.url}/.well-known/jwks.json`,
      audience: receiver.url,
    });
    expect(event).toMatchObject({
      data: {
        id: created.id,
        required_actions: [{ id: "call_abc", name: "get_weather", arguments: { city: "Paris" } }],
        user_metadata,
      },
    });
    expect(upstream.requests[0]?.body).toMatchObject({
      model: "qwen2.5-7b",
      messages: [
        { role: "system", content: "Answer in one sentence." },
        { role: "user", content: "Weather in Paris?" },
      ],
      tools: [{ type: "function", function: { name: "get_weather", parameters: weather.parameters } }],
    });

    const resumed = await ai.interactions.create({
      model: "qwen2.5-7b",
      previous_interaction_id: created.id,
      input: [{ type: "function_result", call_id: "call_abc", name: "get_weather", result: { temp_c: 21 } }],
      background: true,
      // Each request names its own targets, as on Google's side; tools and the system instruction carry over.
      webhook_config: { uris: [receiver.url], user_metadata },
    });
    await delivery(receiver, "interaction.completed", resumed.id);
    expect((await ai.interactions.get(resumed.id)).output_text).toBe("It is 21 °C and clear in Paris.");
    // The resume inherits the tools and system instruction, and sends the whole conversation.
    expect(upstream.requests[1]?.body.messages).toEqual([
      { role: "system", content: "Answer in one sentence." },
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_abc", content: '{"temp_c":21}' },
    ]);
    expect(upstream.requests).toHaveLength(2);
  });

  it("cancel while running sends interaction.cancelled and drops the upstream request: the provider gets no further requests", async () => {
    const { ai, upstream, receiver, server } = await start(() => "hang");
    await registerWebhook(server, receiver.url, ["interaction.cancelled"]);
    const created = await ai.interactions.create({
      model: "qwen2.5-7b",
      input: "a long answer, please",
      background: true,
    });
    await waitUntil(() => upstream.requests.length === 1, 10_000, "the model request");

    const cancelled = await ai.interactions.cancel(created.id);
    expect(cancelled.status).toBe("cancelled");
    await delivery(receiver, "interaction.cancelled", created.id);
    // The request in flight is aborted: its connection closes without an answer.
    await waitUntil(() => upstream.dropped === 1, 10_000, "the upstream request to be dropped");
    // A retry would come within one backoff step (at most 500 ms); none comes.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(upstream.requests).toHaveLength(1);
    expect((await ai.interactions.get(created.id)).status).toBe("cancelled");
  });

  it("fails a background interaction whose provider keeps failing, with the error in the event", async () => {
    const { ai, receiver, server } = await start(() => ({
      status: 400,
      json: { error: { message: "model not loaded" } },
    }));
    const secret = (await registerWebhook(server, receiver.url, ["interaction.failed"])).secret;
    const created = await ai.interactions.create({ model: "qwen2.5-7b", input: "hi", background: true });
    const event = verifyWithReferenceLibraries(
      secret,
      await delivery(receiver, "interaction.failed", created.id),
    ) as EventBody;
    expect(event.data).toMatchObject({
      id: created.id,
      error_code: 3,
      error_message: expect.stringContaining("model not loaded"),
    });
    const failed = await ai.interactions.get(created.id);
    expect(failed).toMatchObject({
      status: "failed",
      errors: [{ code: "INVALID_ARGUMENT", message: expect.stringContaining("model not loaded") }],
    });
  });
});
