// The scripted replies shared by interactions.mjs (JS clients) and python.mjs (google-genai for Python):
// answers by method and path, so every client meets the same server.
const T0 = "2026-05-04T12:00:00Z";
const T1 = "2026-05-04T12:00:03Z";
export const weatherTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const userInput = { type: "user_input", content: [{ type: "text", text: "Weather in Paris? Use get_weather." }] };
const call = { type: "function_call", id: "call_7f3a", name: "get_weather", arguments: { city: "Paris" } };
export const result = { type: "function_result", call_id: "call_7f3a", name: "get_weather", result: { temp_c: 21, sky: "clear" } };
const answer = { type: "model_output", content: [{ type: "text", text: "It is 21 °C and clear in Paris." }] };
const usage = { total_input_tokens: 31, total_output_tokens: 12, total_tokens: 43 };
const base = (id, status, extra = {}) => ({ id, object: "interaction", model: "gemini-2.5-flash", status, created: T0, updated: T1, ...extra });

/** The scripted server: answers by method and path, so both lines meet the same replies. */
export const state = { attempts409: 0 };
export function reply(req) {
  const p = req.path.replace(/^\/v1(beta)?/, "");
  if (req.method === "POST" && p === "/interactions") {
    const b = req.body ?? {};
    if (b.input === "please fail 400") return { status: 400, json: { error: { code: 400, message: "webhook_config: requires background: true", status: "INVALID_ARGUMENT", details: [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "webhook_config", description: "requires background: true" }] }] } } };
    if (b.input === "please fail 409") return ++state.attempts409 <= 1 ? { status: 409, json: { error: { code: 409, message: "busy", status: "ABORTED" } } } : { json: base("int_after_409", "completed", { steps: [answer] }) };
    if (b.stream === true) return streamReply(b.input === "stream without DONE");
    if (b.previous_interaction_id === "int_1") return { json: base("int_2", "in_progress", { previous_interaction_id: "int_1" }) };
    if (b.background === true) return { json: base("int_1", "in_progress") };
    return { json: base("int_sync", "completed", { steps: [userInput, answer], usage }) };
  }
  if (req.method === "GET" && p === "/interactions/int_1") {
    if (req.query.stream === "true") return streamReply(false);
    return { json: base("int_1", "requires_action", { steps: [userInput, call], usage, tools: [weatherTool] }) };
  }
  if (req.method === "GET" && p === "/interactions/int_2") return { json: base("int_2", "completed", { previous_interaction_id: "int_1", steps: [result, answer], usage }) };
  if (req.method === "GET" && p === "/interactions/minimal") return { json: { id: "minimal", status: "completed" } };
  if (req.method === "GET" && p === "/interactions/missing") return { status: 404, json: { error: { code: 404, message: "interaction missing not found", status: "NOT_FOUND" } } };
  if (req.method === "POST" && p === "/interactions/int_3/cancel") return { json: base("int_3", "cancelled") };
  if (req.method === "DELETE" && p === "/interactions/int_3") return { json: {} };
  return undefined;
}

function streamReply(withoutDone) {
  const sse = [
    { event: "interaction.created", data: { event_type: "interaction.created", event_id: "e1", interaction: base("int_s", "in_progress") } },
    { event: "interaction.status_update", data: { event_type: "interaction.status_update", event_id: "e2", interaction_id: "int_s", status: "in_progress" } },
    { event: "step.start", data: { event_type: "step.start", event_id: "e3", index: 0, step: { type: "model_output", content: [{ type: "text", text: "" }] } } },
    { event: "step.delta", data: { event_type: "step.delta", event_id: "e4", index: 0, delta: { type: "text", text: "It is 21 °C" } } },
    { event: "step.delta", data: { event_type: "step.delta", event_id: "e5", index: 0, delta: { type: "text", text: " in Paris." } } },
    { event: "step.stop", data: { event_type: "step.stop", event_id: "e6", index: 0 } },
    { event: "step.start", data: { event_type: "step.start", event_id: "e7", index: 1, step: call } },
    { event: "step.stop", data: { event_type: "step.stop", event_id: "e8", index: 1 } },
    { event: "interaction.completed", data: { event_type: "interaction.completed", event_id: "e9", interaction: base("int_s", "requires_action", { usage }) } },
  ];
  if (!withoutDone) sse.push({ data: "[DONE]" }, { event: "after", data: { event_type: "after.done", note: "never yielded" } });
  return { sse };
}

