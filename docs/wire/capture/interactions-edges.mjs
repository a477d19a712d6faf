// Edge cases of ai.interactions.* in both lines: what cancel/delete put on the wire, an empty 204 reply to
// delete, an `error` SSE event, a 4xx to a streaming create, and 5xx retries. Run: node
// docs/wire/capture/interactions-edges.mjs
import { GoogleGenAI as GenAI2 } from "@google/genai";
import { GoogleGenAI as GenAI3 } from "@google/genai-3";
import { show, startCapture } from "./server.mjs";

const base = (id, status) => ({ id, object: "interaction", model: "m", status, created: "2026-05-04T12:00:00Z", updated: "2026-05-04T12:00:00Z" });
let fails = 0;
function reply(req) {
  const p = req.path.replace(/^\/v1(beta)?/, "");
  if (req.method === "POST" && p === "/interactions/done/cancel") return { status: 400, json: { error: { code: 400, message: "interaction done is completed; only an in_progress interaction can be cancelled", status: "INVALID_ARGUMENT" } } };
  if (req.method === "POST" && p === "/interactions/x/cancel") return { json: base("x", "cancelled") };
  if (req.method === "DELETE" && p === "/interactions/x") return { status: 204, raw: "" };
  if (req.method === "GET" && p === "/interactions/flaky") return ++fails <= 2 ? { status: 503, headers: { "retry-after": "0" }, json: { error: { code: 503, message: "try later", status: "UNAVAILABLE" } } } : { json: base("flaky", "in_progress") };
  if (req.method === "GET" && p === "/interactions/nosteps") return { json: { id: "nosteps", status: "completed" } };
  if (req.method === "POST" && p === "/interactions" && req.body.input === "bad stream") return { status: 400, json: { error: { code: 400, message: "tools[0].name: is required", status: "INVALID_ARGUMENT" } } };
  if (req.method === "POST" && p === "/interactions" && req.body.input === "error event")
    return {
      sse: [
        { event: "interaction.created", data: { event_type: "interaction.created", interaction: base("e", "in_progress") } },
        { event: "error", data: { event_type: "error", error: { code: "INTERNAL", message: "the provider failed" } } },
        { event: "interaction.completed", data: { event_type: "interaction.completed", interaction: base("e", "failed") } },
        { data: "[DONE]" },
      ],
    };
  return undefined;
}

async function drain(stream) {
  const seen = [];
  for await (const ev of stream) seen.push(ev.event_type);
  return seen;
}

const cap = await startCapture(reply);
for (const [line, GenAI] of [
  ["2.32", GenAI2],
  ["3.x", GenAI3],
]) {
  console.log(`\n=============== @google/genai ${line} ===============`);
  const ai = new GenAI({ apiKey: "test-key", httpOptions: { baseUrl: cap.origin } });
  await show("cancel x", () => ai.interactions.cancel("x"));
  await show("cancel a finished one (400)", () => ai.interactions.cancel("done"));
  await show("delete x (204, empty body)", () => ai.interactions.delete("x"));
  fails = 0;
  const t = Date.now();
  await show("get flaky (503, 503, 200)", () => ai.interactions.get("flaky"));
  console.log(`    took ${Date.now() - t} ms for 3 attempts`);
  await show("get a body without steps", () => ai.interactions.get("nosteps"));
  await show("stream create answered 400", async () => drain(await ai.interactions.create({ model: "m", input: "bad stream", stream: true })));
  await show("stream with an error event", async () => drain(await ai.interactions.create({ model: "m", input: "error event", stream: true })));
}
await cap.close();
