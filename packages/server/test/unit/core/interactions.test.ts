import { describe, expect, it } from "vitest";
import { TidingsError } from "../../../src/core/errors.js";
import type { FunctionCallStep, InteractionStep } from "../../../src/core/interaction-steps.js";
import {
  addUsage,
  checkContinuation,
  conversation,
  earlierContinuation,
  endInteraction,
  isInteractionFinished,
  markResumed,
  pendingCalls,
  recordProgress,
  type Interaction,
  type InteractionStatus,
} from "../../../src/core/interactions.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const question: InteractionStep = {
  type: "user_input",
  content: [{ type: "text", text: "Weather in Paris and Oslo?" }],
};
const callParis: FunctionCallStep = {
  type: "function_call",
  id: "call_p",
  name: "get_weather",
  arguments: { city: "Paris" },
};
const callOslo: FunctionCallStep = {
  type: "function_call",
  id: "call_o",
  name: "get_weather",
  arguments: { city: "Oslo" },
};
const result = (callId: string): InteractionStep => ({
  type: "function_result",
  call_id: callId,
  result: { temp_c: 20 },
});
const usage = { total_input_tokens: 10, total_output_tokens: 5, total_tokens: 15 };

const interaction = (overrides: Partial<Interaction> = {}): Interaction => ({
  id: "i1",
  projectId: "p",
  model: "m",
  status: "in_progress",
  history: [],
  steps: [question],
  inputCount: 1,
  background: true,
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});
const paused = (overrides: Partial<Interaction> = {}) =>
  interaction({ status: "requires_action", steps: [question, callParis, callOslo], ...overrides });

/** The 400 a function throws, as field and message. */
function refusal(fn: () => unknown): { field?: string; message: string; status: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof TidingsError) return { field: err.field, message: err.message, status: err.status };
    throw err;
  }
  throw new Error("expected a TidingsError");
}

describe("recordProgress (a running interaction takes the provider's steps)", () => {
  it("appends steps and adds usage while the run goes on, without an event", () => {
    const thought: InteractionStep = { type: "thought", summary: [{ type: "text", text: "planning" }] };
    const { interaction: next, event } = recordProgress(
      interaction({ usage }),
      { steps: [thought], usage, done: false },
      T0 + 5,
    );
    expect(next).toMatchObject({
      status: "in_progress",
      steps: [question, thought],
      usage: { total_input_tokens: 20, total_output_tokens: 10, total_tokens: 30 },
      updatedAt: T0 + 5,
    });
    expect(next.endedAt).toBeUndefined();
    expect(event).toBeUndefined();
  });

  it("stops at requires_action when the model called functions, with every call in the event", () => {
    const { interaction: next, event } = recordProgress(
      interaction({ webhookConfig: { uris: ["https://a.example/x"], user_metadata: { order: 7 } } }),
      { steps: [callParis, callOslo], done: true },
      T0 + 5,
    );
    expect(next.status).toBe("requires_action");
    expect(next.endedAt).toBeUndefined();
    expect(pendingCalls(next)).toEqual([callParis, callOslo]);
    expect(event).toEqual({
      type: "interaction.requires_action",
      version: "v1",
      timestamp: "2026-05-04T12:00:00.005Z",
      data: {
        id: "i1",
        required_actions: [
          { id: "call_p", name: "get_weather", arguments: { city: "Paris" } },
          { id: "call_o", name: "get_weather", arguments: { city: "Oslo" } },
        ],
        user_metadata: { order: 7 },
      },
    });
  });

  it("completes when the run is done with text, and the event is a thin pointer", () => {
    const answer: InteractionStep = { type: "model_output", content: [{ type: "text", text: "It is 20 °C." }] };
    const { interaction: next, event } = recordProgress(interaction(), { steps: [answer], usage, done: true }, T0 + 9);
    expect(next).toMatchObject({ status: "completed", endedAt: T0 + 9, usage });
    expect(event).toEqual({
      type: "interaction.completed",
      version: "v1",
      timestamp: "2026-05-04T12:00:00.009Z",
      data: { id: "i1" },
    });
  });

  it("refuses progress on an interaction that is not running", () => {
    for (const status of ["requires_action", "completed", "failed", "cancelled"] as InteractionStatus[]) {
      expect(() => recordProgress(interaction({ status }), { steps: [], done: true }, T0)).toThrow(
        /is not a transition/,
      );
    }
  });
});

describe("endInteraction (fail and cancel)", () => {
  it("fails a running interaction with the error in the event", () => {
    const error = { code: 14, status: "UNAVAILABLE", message: "the openai provider failed (HTTP 503)" };
    const { interaction: next, event } = endInteraction(interaction(), { kind: "fail", error }, T0 + 1);
    expect(next).toMatchObject({ status: "failed", error, endedAt: T0 + 1 });
    expect(event?.data).toEqual({ id: "i1", error_code: 14, error_message: "the openai provider failed (HTTP 503)" });
    expect(event?.type).toBe("interaction.failed");
  });

  it("cancels one running or waiting for results, and sends interaction.cancelled", () => {
    for (const current of [interaction(), paused()]) {
      const { interaction: next, event } = endInteraction(current, { kind: "cancel" }, T0 + 2);
      expect(next).toMatchObject({ status: "cancelled", endedAt: T0 + 2 });
      expect(event).toMatchObject({ type: "interaction.cancelled", data: { id: "i1" } });
    }
  });

  it("answers a finished interaction with a 400 (never a 409, which the clients retry), and a paused one cannot fail", () => {
    for (const status of ["completed", "failed", "cancelled"] as InteractionStatus[]) {
      expect(isInteractionFinished(status)).toBe(true);
      const refused = refusal(() => endInteraction(interaction({ status }), { kind: "cancel" }, T0));
      expect(refused.status).toBe("INVALID_ARGUMENT");
      expect(refused.message).toContain(`already ${status}`);
    }
    expect(isInteractionFinished("requires_action")).toBe(false);
    expect(
      refusal(() => endInteraction(paused(), { kind: "fail", error: { code: 2, status: "UNKNOWN", message: "x" } }, T0))
        .status,
    ).toBe("INVALID_ARGUMENT");
  });
});

describe("checkContinuation (function results against the pending calls)", () => {
  it("resumes a paused interaction with a result for every call it waits for, in any order", () => {
    expect(() => checkContinuation(paused(), [result("call_o"), result("call_p")])).not.toThrow();
  });

  it("refuses a result whose call_id matches no pending call, naming the step and the calls it could answer", () => {
    const refused = refusal(() => checkContinuation(paused(), [result("call_p"), result("call_x")]));
    expect(refused).toMatchObject({ status: "INVALID_ARGUMENT", field: "input[1].call_id" });
    expect(refused.message).toContain('"call_x" matches no pending function call; the pending calls are "call_o"');
  });

  it("refuses a call answered twice, and a resume that leaves a call unanswered", () => {
    expect(refusal(() => checkContinuation(paused(), [result("call_p"), result("call_p")])).field).toBe(
      "input[1].call_id",
    );
    const missing = refusal(() => checkContinuation(paused(), [result("call_p")]));
    expect(missing.field).toBe("input");
    expect(missing.message).toContain('"call_o" (get_weather)');
  });

  it("refuses to resume a finished interaction, and results with nothing to answer", () => {
    const completed = refusal(() => checkContinuation(paused({ status: "completed" }), [result("call_p")]));
    expect(completed.field).toBe("input[0].call_id");
    expect(completed.message).toContain("is completed and waits for no function results");
    for (const status of ["failed", "cancelled", "in_progress"] as InteractionStatus[]) {
      expect(refusal(() => checkContinuation(paused({ status }), [result("call_p")])).field).toBe(
        "previous_interaction_id",
      );
    }
    expect(refusal(() => checkContinuation(undefined, [question, result("call_p")])).field).toBe("input[1].call_id");
  });

  it("continues a completed interaction with new input, and accepts a stateless history of calls and results", () => {
    expect(() => checkContinuation(paused({ status: "completed" }), [question])).not.toThrow();
    expect(() => checkContinuation(undefined, [question, callParis, result("call_p")])).not.toThrow();
  });
});

describe("conversation and usage", () => {
  it("is the copied history followed by the interaction's own steps", () => {
    expect(
      conversation(interaction({ history: [question, callParis], steps: [result("call_p")], inputCount: 1 })),
    ).toEqual([question, callParis, result("call_p")]);
  });

  it("adds thought tokens only when some call counted them", () => {
    expect(addUsage(undefined, undefined)).toBeUndefined();
    expect(addUsage(usage, { ...usage, total_thought_tokens: 3 })).toEqual({
      total_input_tokens: 20,
      total_output_tokens: 10,
      total_thought_tokens: 3,
      total_tokens: 30,
    });
    expect(addUsage(usage, usage)).not.toHaveProperty("total_thought_tokens");
  });
});

describe("earlierContinuation (an interaction answered twice continues once)", () => {
  const answer = [result("call_p"), result("call_o")];
  const continuation = interaction({
    id: "i2",
    previousInteractionId: "i1",
    steps: [...answer, { type: "model_output", content: [] }],
    inputCount: 2,
  });

  it("returns the continuation that resumed it when the input is the same, key order aside", () => {
    const resumed = markResumed(paused(), continuation, T0 + 5);
    expect(resumed).toMatchObject({ status: "requires_action", resumedBy: "i2", updatedAt: T0 + 5 });
    expect(earlierContinuation(resumed, continuation, answer)).toBe(continuation);
    const reordered: InteractionStep[] = answer.map(
      (step) =>
        ({
          result: { temp_c: 20 },
          call_id: (step as { call_id: string }).call_id,
          type: "function_result",
        }) as InteractionStep,
    );
    expect(earlierContinuation(resumed, continuation, reordered)).toBe(continuation);
  });

  it("is a 400 naming previous_interaction_id and the continuation when the input differs", () => {
    const resumed = markResumed(paused(), continuation, T0 + 5);
    const other = refusal(() => earlierContinuation(resumed, continuation, [result("call_p")]));
    expect(other).toMatchObject({ field: "previous_interaction_id", status: "INVALID_ARGUMENT" });
    expect(other.message).toContain("resumed by interaction i2");
  });

  it("lets the answer through when nothing answered it yet, its continuation is gone, or it is no paused interaction", () => {
    expect(earlierContinuation(paused(), undefined, answer)).toBeUndefined();
    expect(earlierContinuation(paused({ resumedBy: "i2" }), undefined, answer)).toBeUndefined();
    expect(
      earlierContinuation(interaction({ status: "completed", resumedBy: "i2" }), continuation, answer),
    ).toBeUndefined();
  });

  it("a resumed interaction is neither cancelled nor failed: its continuation is", () => {
    const resumed = markResumed(paused(), continuation, T0 + 5);
    expect(refusal(() => endInteraction(resumed, { kind: "cancel" }, T0 + 6)).message).toContain("cancel that one");
  });
});
