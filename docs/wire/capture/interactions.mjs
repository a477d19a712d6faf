// Drives ai.interactions.* of both client lines (2.32 → /v1beta, 3.x → /v1) against the capture server and
// prints what each call sends and what the caller gets back. Run: node docs/wire/capture/interactions.mjs
import { GoogleGenAI as GenAI2 } from "@google/genai";
import { GoogleGenAI as GenAI3 } from "@google/genai-3";
import { reply, result, state, weatherTool } from "./interactions-script.mjs";
import { show, startCapture } from "./server.mjs";

async function drain(stream) {
  const seen = [];
  for await (const ev of stream) seen.push(ev);
  return seen;
}

const cap = await startCapture(reply);
for (const [line, GenAI] of [
  ["2.32", GenAI2],
  ["3.x", GenAI3],
]) {
  console.log(`\n=============== @google/genai ${line} ===============`);
  const ai = new GenAI({ apiKey: "test-key", httpOptions: { baseUrl: cap.origin } });
  await show("create background + function tool", () =>
    ai.interactions.create({
      model: "gemini-2.5-flash",
      input: "Weather in Paris? Use get_weather.",
      tools: [weatherTool],
      system_instruction: "Answer in one sentence.",
      background: true,
      store: true,
      webhook_config: { uris: ["https://hooks.example.com/i"], user_metadata: { order: "o-42" } },
    }),
  );
  await show("get int_1 (requires_action)", () => ai.interactions.get("int_1"));
  await show("resume with function_result", () =>
    ai.interactions.create({ model: "gemini-2.5-flash", previous_interaction_id: "int_1", input: [result], tools: [weatherTool], background: true }),
  );
  await show("get int_2 (completed)", () => ai.interactions.get("int_2"));
  await show("create synchronous (content list input)", () =>
    ai.interactions.create({ model: "gemini-2.5-flash", input: [{ type: "text", text: "hi" }], store: false }),
  );
  await show("create agent", () => ai.interactions.create({ agent: "deep-research-pro-preview-12-2025", input: "Research tidings", background: true, agent_config: { type: "deep-research", thinking_summaries: "auto" } }));
  await show("cancel int_3", () => ai.interactions.cancel("int_3"));
  await show("delete int_3", () => ai.interactions.delete("int_3"));
  await show("get missing (404)", () => ai.interactions.get("missing"));
  await show("create → 400", () => ai.interactions.create({ model: "gemini-2.5-flash", input: "please fail 400", webhook_config: { uris: ["https://h.example.com"] } }));
  state.attempts409 = 0;
  await show("create → 409 then 200 (is 409 retried?)", () => ai.interactions.create({ model: "gemini-2.5-flash", input: "please fail 409" }));
  await show("stream create ([DONE] at the end)", async () => drain(await ai.interactions.create({ model: "gemini-2.5-flash", input: "stream", stream: true })));
  await show("stream create (no [DONE], server closes)", async () => drain(await ai.interactions.create({ model: "gemini-2.5-flash", input: "stream without DONE", stream: true })));
  await show("stream get", async () => drain(await ai.interactions.get("int_1", { stream: true, last_event_id: "e2" })));
}
await cap.close();
