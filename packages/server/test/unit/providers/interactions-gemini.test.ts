import { afterEach, describe, expect, it, vi } from "vitest";
import { GeminiInteractions } from "../../../src/providers/interactions/gemini.js";
import type { FunctionTool, InteractionStep, InteractionTurn } from "../../../src/providers/interactions/types.js";
import type { ProviderError } from "../../../src/providers/provider.js";
import { nextTurnWithRetry } from "../../../src/providers/retry.js";
import { startUpstream, type Upstream, type UpstreamReply } from "../../helpers/upstream.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(
  reply: (n: number) => UpstreamReply,
  timeoutMs = 5_000,
): Promise<{ upstream: Upstream; gemini: GeminiInteractions }> {
  const upstream = await startUpstream(reply);
  const gemini = new GeminiInteractions({ baseUrl: upstream.origin, apiKey: "AIza-test", timeoutMs });
  open.push(gemini, upstream);
  return { upstream, gemini };
}

const weather: FunctionTool = {
  type: "function",
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
};
const question: InteractionStep = { type: "user_input", content: [{ type: "text", text: "Weather in Paris?" }] };
const call: InteractionStep = { type: "function_call", id: "fc_1", name: "get_weather", arguments: { city: "Paris" } };
const thought: InteractionStep = { type: "thought", signature: "sig-opaque-1" };
const turn = (steps: InteractionStep[]): InteractionTurn => ({
  model: "gemini-3-flash-preview",
  system_instruction: "Be brief.",
  tools: [weather],
  steps,
});
const interaction = (status: string, steps: unknown[], extra: Record<string, unknown> = {}) => ({
  json: { id: "v1_abc", object: "interaction", status, steps, ...extra },
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a ProviderError"),
    (e: unknown) => e as ProviderError,
  );

describe("gemini interactions", () => {
  it("sends the whole history unstored and synchronous, and keeps only the steps after the echoed input", async () => {
    const { upstream, gemini } = await setup(() =>
      interaction("requires_action", [question, thought, call], {
        usage: { total_input_tokens: 20, total_output_tokens: 6, total_tokens: 26 },
      }),
    );
    const result = await gemini.nextTurn(turn([question]));
    const [req] = upstream.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/v1beta/interactions");
    expect(req?.headers["x-goog-api-key"]).toBe("AIza-test");
    expect(req?.body).toEqual({
      model: "gemini-3-flash-preview",
      input: [question],
      system_instruction: "Be brief.",
      tools: [weather],
      store: false,
      background: false,
    });
    expect(result).toEqual({
      steps: [thought, call],
      usage: { total_input_tokens: 20, total_output_tokens: 6, total_tokens: 26 },
    });
  });

  it("replays thoughts (with their signatures), calls and results on the next turn, and reads a reply without an echo", async () => {
    const answer = { type: "model_output", content: [{ type: "text", text: "21 °C." }] };
    const { upstream, gemini } = await setup(() => interaction("completed", [answer]));
    const history: InteractionStep[] = [
      question,
      thought,
      call,
      { type: "function_result", call_id: "fc_1", name: "get_weather", result: { temp_c: 21 } },
    ];
    expect((await gemini.nextTurn(turn(history))).steps).toEqual([answer]);
    expect(upstream.requests[0]?.body.input).toEqual(history);
  });

  it("follows requires_continuation with the token, joining the hops' steps and adding their usage", async () => {
    const part = (text: string) => ({ type: "model_output", content: [{ type: "text", text }] });
    const { upstream, gemini } = await setup((n) =>
      n === 0
        ? interaction("requires_continuation", [part("Once upon")], {
            continuation_token: "tok-1",
            usage: { total_input_tokens: 10, total_output_tokens: 100, total_tokens: 110 },
          })
        : interaction("completed", [part(" a time.")], {
            usage: { total_input_tokens: 12, total_output_tokens: 40, total_tokens: 52 },
          }),
    );
    const result = await gemini.nextTurn(turn([question]));
    expect(result.steps).toEqual([part("Once upon"), part(" a time.")]);
    expect(result.usage).toEqual({ total_input_tokens: 22, total_output_tokens: 140, total_tokens: 162 });
    expect(upstream.requests[1]?.body).toMatchObject({ input: [question], continuation_token: "tok-1", store: false });
  });

  it("turns a failed interaction into an error carrying Gemini's reason", async () => {
    const { gemini } = await setup(() =>
      interaction("failed", [], { errors: [{ code: "RESOURCE_EXHAUSTED", message: "quota exceeded for model" }] }),
    );
    const error = await failure(gemini.nextTurn(turn([question])));
    expect(error).toMatchObject({ code: "INTERNAL", retryable: false });
    expect(error.message).toContain("failed: quota exceeded for model");
  });

  it("rejects malformed replies: no status, a call without an id, arguments that are not an object", async () => {
    const replies: UpstreamReply[] = [
      { json: { id: "x", steps: [] } },
      interaction("requires_action", [{ type: "function_call", name: "get_weather", arguments: {} }]),
      interaction("requires_action", [{ type: "function_call", id: "f", name: "get_weather", arguments: "[1,2]" }]),
      interaction("in_progress", []),
    ];
    const { gemini } = await setup((n) => replies[n] ?? { json: {} });
    expect((await failure(gemini.nextTurn(turn([question])))).message).toContain("has no status");
    expect((await failure(gemini.nextTurn(turn([question])))).message).toContain("(function_call) has no id");
    expect((await failure(gemini.nextTurn(turn([question])))).message).toContain("arguments is not a JSON object");
    expect((await failure(gemini.nextTurn(turn([question])))).message).toContain('status "in_progress"');
  });

  it("retries 503 and stops at once on cancel", async () => {
    const ok = interaction("completed", [{ type: "model_output", content: [] }]);
    const { upstream, gemini } = await setup(
      (n) =>
        n === 0
          ? { status: 503, json: { error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } } }
          : n === 1
            ? ok
            : "hang",
      3_600_000,
    );
    const delays: number[] = [];
    await nextTurnWithRetry(gemini, turn([question]), {
      sleep: async (ms) => (delays.push(ms), true),
      random: () => 0,
    });
    expect(delays).toEqual([250]);

    const controller = new AbortController();
    const pending = gemini.nextTurn(turn([question]), controller.signal);
    await vi.waitFor(() => expect(upstream.requests).toHaveLength(3));
    controller.abort();
    expect(await failure(pending)).toMatchObject({ code: "CANCELLED" });
    await vi.waitFor(() => expect(upstream.dropped).toBe(1));
  });
});
