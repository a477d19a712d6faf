// Drives models.generateVideos + operations.getVideosOperation (2.32) and files.download of the result against
// the capture server; then shows what 3.x does with generateVideos. Run: node docs/wire/capture/video.mjs
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GoogleGenAI as GenAI2 } from "@google/genai";
import { GoogleGenAI as GenAI3 } from "@google/genai-3";
import { show, startCapture } from "./server.mjs";

const NAME = "models/veo-3.0-generate-001/operations/op123";
let polls = 0;
let uriForm = "";
function reply(req, origin) {
  if (req.method === "POST" && req.path.endsWith(":predictLongRunning")) {
    if (req.body.instances[0].prompt === "please fail 400") return { status: 400, json: { error: { code: 400, message: "instances[0].prompt: is required", status: "INVALID_ARGUMENT" } } };
    if (req.body.instances[0].prompt === "please fail 503") return { status: 503, json: { error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } } };
    return { json: { name: NAME } };
  }
  if (req.method === "GET" && req.path.endsWith(`/${NAME}`)) {
    polls++;
    if (polls < 2) return { json: { name: NAME, metadata: { "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningMetadata" } } };
    return {
      json: {
        name: NAME,
        done: true,
        response: {
          "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
          generateVideoResponse: { generatedSamples: [{ video: { uri: uriForm.replace("ORIGIN", origin()) } }] },
        },
      },
    };
  }
  if (req.method === "GET" && req.path.includes("/files/vid1")) return { contentType: "video/mp4", raw: "FAKEVIDEOBYTES" };
  if (req.method === "GET" && req.path.endsWith("/operations/failed")) return { json: { name: "models/veo/operations/failed", done: true, error: { code: 3, message: "prompt was blocked", status: "INVALID_ARGUMENT" } } };
  return undefined;
}

let origin = "";
const cap = await startCapture((req) => reply(req, () => origin));
origin = cap.origin;
const ai = new GenAI2({ apiKey: "test-key", httpOptions: { baseUrl: cap.origin } });

console.log("=============== @google/genai 2.32 ===============");
let op = await show("generateVideos", () =>
  ai.models.generateVideos({
    model: "veo-3.0-generate-001",
    prompt: "a red ball bouncing",
    config: { numberOfVideos: 1, durationSeconds: 4, aspectRatio: "16:9", negativePrompt: "blur", webhookConfig: { uris: ["https://hooks.example.com/v"], userMetadata: { job: 7 } } },
  }),
);
const dir = mkdtempSync(join(tmpdir(), "wire-"));
for (const form of ["ORIGIN/v1beta/files/vid1:download?alt=media", "files/vid1", "https://tidings.example.com/v1beta/files/vid1:download?alt=media"]) {
  polls = 0;
  uriForm = form;
  console.log(`\n--- video.uri = ${form}`);
  op = await show("getVideosOperation (1st poll)", () => ai.operations.getVideosOperation({ operation: op }));
  op = await show("getVideosOperation (2nd poll)", () => ai.operations.getVideosOperation({ operation: op }));
  const video = op?.response?.generatedVideos?.[0];
  const path = join(dir, `${polls}-${form.length}.mp4`);
  await show("files.download(generatedVideo)", () => ai.files.download({ file: video, downloadPath: path }));
  await show("downloaded bytes", () => readFileSync(path, "utf8"));
  op = { ...op, done: undefined, response: undefined };
  Object.setPrototypeOf(op, Object.getPrototypeOf(await ai.models.generateVideos({ model: "veo-3.0-generate-001", prompt: "again" })));
}
await show("getVideosOperation on a failed operation", async () => {
  const failed = Object.assign(Object.create(Object.getPrototypeOf(op)), { name: "models/veo/operations/failed" });
  return ai.operations.getVideosOperation({ operation: failed });
});

await show("generateVideos → 400", () => ai.models.generateVideos({ model: "veo-3.0-generate-001", prompt: "please fail 400" }));
await show("generateVideos → 503 (retried?)", () => ai.models.generateVideos({ model: "veo-3.0-generate-001", prompt: "please fail 503" }));

console.log("\n=============== @google/genai 3.x ===============");
const ai3 = new GenAI3({ apiKey: "test-key", httpOptions: { baseUrl: cap.origin } });
await show("generateVideos (3.x)", () => ai3.models.generateVideos({ model: "veo-3.0-generate-001", prompt: "a red ball" }));
await cap.close();
