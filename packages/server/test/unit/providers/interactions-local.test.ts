import { describe, expect, it } from "vitest";
import { ContentInteractions } from "../../../src/providers/interactions/via-content.js";
import type { FunctionTool, InteractionTurn } from "../../../src/providers/interactions/types.js";
import { LocalProvider, localReplyText } from "../../../src/providers/local.js";
import type { ProviderError } from "../../../src/providers/provider.js";
import { nextTurnWithRetry } from "../../../src/providers/retry.js";

const weather: FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const local = (delayMs = 0) => new ContentInteractions(new LocalProvider({ delayMs }));
const ask = (text: string): InteractionTurn => ({
  model: "gemini-2.5-flash",
  tools: [weather],
  steps: [{ type: "user_input", content: [{ type: "text", text }] }],
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );

describe("local interactions", () => {
  it("calls a declared tool the input asks for, with an id and arguments from the text", async () => {
    const turn = await local().nextTurn(ask('What is the weather? Use get_weather with city: "Paris".'));
    expect(turn.steps).toEqual([
      {
        type: "function_call",
        id: expect.stringMatching(/^call_[0-9a-f]{16}$/),
        name: "get_weather",
        arguments: { city: "Paris" },
      },
    ]);
    expect(turn.usage?.total_tokens).toBeGreaterThan(0);
    // Deterministic: the same turn names its call the same way, so a replayed turn matches what was stored.
    expect((await local().nextTurn(ask('What is the weather? Use get_weather with city: "Paris".'))).steps).toEqual(
      turn.steps,
    );
  });

  it("answers from the function result, so a test can see the result flowed through", async () => {
    const first = await local().nextTurn(ask("Call get_weather city=Oslo please"));
    const call = first.steps[0];
    if (call?.type !== "function_call") throw new Error("expected a function call");
    const resumed = await local().nextTurn({
      ...ask("Call get_weather city=Oslo please"),
      steps: [
        ...ask("Call get_weather city=Oslo please").steps,
        call,
        { type: "function_result", call_id: call.id, result: { temp_c: -3, sky: "snow" } },
      ],
    });
    expect(resumed.steps).toEqual([
      {
        type: "model_output",
        content: [{ type: "text", text: '[local:gemini-2.5-flash] get_weather returned {"temp_c":-3,"sky":"snow"}' }],
      },
    ]);
  });

  it("wraps a result that is not an object as Gemini's {output} and an error result as {error}", async () => {
    const call = { type: "function_call" as const, id: "c1", name: "get_weather", arguments: { city: "Rome" } };
    const history = [...ask("get_weather").steps, call];
    const plain = await local().nextTurn({
      ...ask(""),
      steps: [...history, { type: "function_result", call_id: "c1", name: "get_weather", result: "sunny" }],
    });
    expect(plain.steps[0]).toEqual({
      type: "model_output",
      content: [{ type: "text", text: '[local:gemini-2.5-flash] get_weather returned {"output":"sunny"}' }],
    });
    const failed = await local().nextTurn({
      ...ask(""),
      steps: [...history, { type: "function_result", call_id: "c1", result: "timeout", is_error: true }],
    });
    expect(failed.steps[0]).toEqual({
      type: "model_output",
      content: [{ type: "text", text: '[local:gemini-2.5-flash] get_weather returned {"error":"timeout"}' }],
    });
  });

  it("answers text when no tool is asked for, and honours tool_choice none", async () => {
    expect((await local().nextTurn({ model: "m", steps: ask("hello there").steps })).steps).toEqual([
      { type: "model_output", content: [{ type: "text", text: localReplyText("m", "hello there") }] },
    ]);
    const none = await local().nextTurn({ ...ask("use get_weather"), generation_config: { tool_choice: "none" } });
    expect(none.steps.map((s) => s.type)).toEqual(["model_output"]);
    const forced = await local().nextTurn({
      ...ask("anything"),
      generation_config: { tool_choice: { allowed_tools: { mode: "any", tools: ["get_weather"] } } },
    });
    expect(forced.steps.map((s) => s.type)).toEqual(["function_call"]);
  });

  it("refuses a result whose call_id answers no call and names the step", async () => {
    const error = await failure(
      local().nextTurn({
        ...ask("x"),
        steps: [...ask("x").steps, { type: "function_result", call_id: "nope", result: {} }],
      }),
    );
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.field).toBe("steps[1].call_id");
  });

  it("stops at once when the signal aborts, and retries simulated 5xx", async () => {
    const controller = new AbortController();
    const pending = local(3_600_000).nextTurn(ask("slow"), controller.signal);
    controller.abort();
    expect((await failure(pending)).code).toBe("CANCELLED");

    const delays: number[] = [];
    const turn = await nextTurnWithRetry(local(), ask("flaky [[fail:503:2]]"), {
      sleep: async (ms) => (delays.push(ms), true),
      random: () => 0,
    });
    expect(delays).toHaveLength(2);
    expect(turn.steps[0]?.type).toBe("model_output");
  });
});
