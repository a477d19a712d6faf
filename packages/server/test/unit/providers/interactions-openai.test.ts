import { afterEach, describe, expect, it, vi } from "vitest";
import { ContentInteractions } from "../../../src/providers/interactions/via-content.js";
import type { FunctionTool, InteractionStep, InteractionTurn } from "../../../src/providers/interactions/types.js";
import { OpenAiProvider } from "../../../src/providers/openai.js";
import type { ProviderError } from "../../../src/providers/provider.js";
import { nextTurnWithRetry } from "../../../src/providers/retry.js";
import { chatReply, startUpstream, type Upstream, type UpstreamReply } from "../../helpers/upstream.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(
  reply: (n: number) => UpstreamReply,
  timeoutMs = 5_000,
): Promise<{ upstream: Upstream; interactions: ContentInteractions }> {
  const upstream = await startUpstream(reply);
  const provider = new OpenAiProvider({ baseUrl: `${upstream.origin}/v1`, apiKey: "sk-test", timeoutMs });
  open.push(provider, upstream);
  return { upstream, interactions: new ContentInteractions(provider) };
}

const weather: FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const question: InteractionStep = {
  type: "user_input",
  content: [{ type: "text", text: "Weather in Paris and Oslo?" }],
};
const turn = (steps: InteractionStep[] = [question]): InteractionTurn => ({
  model: "qwen2.5-7b",
  system_instruction: "Be brief.",
  tools: [weather],
  steps,
});
const toolCalls = (calls: { id?: string; name?: string; arguments: unknown }[], content: string | null = null) => ({
  id: "chatcmpl-2",
  model: "qwen2.5-7b",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content,
        tool_calls: calls.map((c) => ({
          ...(c.id ? { id: c.id } : {}),
          type: "function",
          function: { name: c.name, arguments: c.arguments },
        })),
      },
      finish_reason: "tool_calls",
    },
  ],
  usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 },
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );

describe("openai interactions: the request", () => {
  it("sends tools as functions, the history's calls as assistant tool_calls and results as tool messages", async () => {
    const { upstream, interactions } = await setup(() => ({
      json: chatReply("It is 21 °C in Paris and -3 °C in Oslo."),
    }));
    await interactions.nextTurn(
      turn([
        question,
        { type: "model_output", content: [{ type: "text", text: "Checking both." }] },
        { type: "function_call", id: "call_p", name: "get_weather", arguments: { city: "Paris" } },
        { type: "function_call", id: "call_o", name: "get_weather", arguments: { city: "Oslo" } },
        { type: "function_result", call_id: "call_p", name: "get_weather", result: { temp_c: 21 } },
        { type: "function_result", call_id: "call_o", result: "-3 °C" },
      ]),
    );
    const [req] = upstream.requests;
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers.authorization).toBe("Bearer sk-test");
    expect(req?.body).toEqual({
      model: "qwen2.5-7b",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris and Oslo?" },
        {
          role: "assistant",
          content: "Checking both.",
          tool_calls: [
            { id: "call_p", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
            { id: "call_o", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_p", content: '{"temp_c":21}' },
        { role: "tool", tool_call_id: "call_o", content: '{"output":"-3 °C"}' },
      ],
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "Current weather for a city", parameters: weather.parameters },
        },
      ],
    });
  });

  it("maps tool_choice and generation settings", async () => {
    const { upstream, interactions } = await setup(() => ({ json: chatReply("ok") }));
    await interactions.nextTurn({
      ...turn(),
      generation_config: {
        temperature: 0.1,
        max_output_tokens: 50,
        tool_choice: { allowed_tools: { mode: "any", tools: ["get_weather"] } },
      },
    });
    expect(upstream.requests[0]?.body).toMatchObject({
      temperature: 0.1,
      max_tokens: 50,
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
  });
});

describe("openai interactions: the reply", () => {
  it("turns tool_calls into function_call steps: ids kept, JSON-string arguments parsed, text first", async () => {
    const { interactions } = await setup(() => ({
      json: toolCalls(
        [
          { id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' },
          { id: "call_2", name: "get_weather", arguments: { city: "Oslo" } },
        ],
        "Let me look.",
      ),
    }));
    expect(await interactions.nextTurn(turn())).toEqual({
      steps: [
        { type: "model_output", content: [{ type: "text", text: "Let me look." }] },
        { type: "function_call", id: "call_1", name: "get_weather", arguments: { city: "Paris" } },
        { type: "function_call", id: "call_2", name: "get_weather", arguments: { city: "Oslo" } },
      ],
      usage: { total_input_tokens: 40, total_output_tokens: 12, total_tokens: 52 },
    });
  });

  it("gives a call without an id a stable one of its own", async () => {
    const { interactions } = await setup(() => ({
      json: toolCalls([{ name: "get_weather", arguments: '{"city":"Rome"}' }]),
    }));
    const first = await interactions.nextTurn(turn());
    const second = await interactions.nextTurn(turn());
    expect(first.steps).toEqual([
      {
        type: "function_call",
        id: expect.stringMatching(/^call_[0-9a-f]{16}$/),
        name: "get_weather",
        arguments: { city: "Rome" },
      },
    ]);
    expect(second.steps).toEqual(first.steps);
  });

  it("fails loudly on malformed replies and does not retry them", async () => {
    const replies: UpstreamReply[] = [
      { json: toolCalls([{ id: "c", name: "get_weather", arguments: "{not json" }]) },
      { json: toolCalls([{ id: "c", arguments: "{}" }]) },
      { json: { choices: [] } },
      { raw: "<html>bad gateway</html>" },
    ];
    const { upstream, interactions } = await setup((n) => replies[n] ?? { json: {} });
    const badArgs = await failure(nextTurnWithRetry(interactions, turn(), { sleep: async () => true }));
    expect(badArgs).toMatchObject({ status: 502, code: "INTERNAL", retryable: false });
    expect(badArgs.message).toContain("not a JSON object");
    expect((await failure(interactions.nextTurn(turn()))).message).toContain("tool_calls[0] has no function name");
    expect((await failure(interactions.nextTurn(turn()))).message).toContain("choices array is empty");
    expect((await failure(interactions.nextTurn(turn()))).message).toContain("not JSON");
    expect(upstream.requests).toHaveLength(4);
  });
});

describe("openai interactions: failures", () => {
  it("retries a 429 after its Retry-After, then returns the turn", async () => {
    const { upstream, interactions } = await setup((n) =>
      n === 0
        ? { status: 429, headers: { "retry-after": "3" }, json: { error: { message: "slow down" } } }
        : { json: toolCalls([{ id: "c9", name: "get_weather", arguments: '{"city":"Oslo"}' }]) },
    );
    const delays: number[] = [];
    const result = await nextTurnWithRetry(interactions, turn(), { sleep: async (ms) => (delays.push(ms), true) });
    expect(delays).toEqual([3000]);
    expect(result.steps).toEqual([
      { type: "function_call", id: "c9", name: "get_weather", arguments: { city: "Oslo" } },
    ]);
    expect(upstream.requests).toHaveLength(2);
  });

  it("times out a server that does not answer, as a retryable DEADLINE_EXCEEDED", async () => {
    const { interactions } = await setup(() => "hang", 300);
    expect(await failure(interactions.nextTurn(turn()))).toMatchObject({
      status: 504,
      code: "DEADLINE_EXCEEDED",
      retryable: true,
    });
  });

  it("drops the upstream request at once when the turn is cancelled", async () => {
    const { upstream, interactions } = await setup(() => "hang", 3_600_000);
    const controller = new AbortController();
    const pending = nextTurnWithRetry(interactions, turn(), { signal: controller.signal });
    await vi.waitFor(() => expect(upstream.requests).toHaveLength(1));
    controller.abort();
    expect(await failure(pending)).toMatchObject({ code: "CANCELLED", retryable: false });
    await vi.waitFor(() => expect(upstream.dropped).toBe(1));
    expect(upstream.requests).toHaveLength(1);
  });
});
