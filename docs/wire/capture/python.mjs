// Runs interactions.py (google-genai for Python) against the same scripted server as interactions.mjs.
// Run: PYTHON=/path/to/python-with-google-genai node docs/wire/capture/python.mjs
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { reply } from "./interactions-script.mjs";
import { startCapture } from "./server.mjs";

const cap = await startCapture(reply);
const script = fileURLToPath(new URL("./interactions.py", import.meta.url));
const child = await new Promise((resolve) => {
  // Asynchronous spawn: the capture server runs in this process and must keep answering meanwhile.
  import("node:child_process").then(({ spawn }) => {
    const p = spawn(process.env.PYTHON ?? "python3", [script, cap.origin], { stdio: "inherit" });
    p.on("exit", resolve);
  });
});
await cap.close();
process.exitCode = typeof child === "number" ? child : 1;
void spawnSync;
