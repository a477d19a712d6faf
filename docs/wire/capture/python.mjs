// Runs interactions.py (google-genai for Python) against the same scripted server as interactions.mjs.
// Run: PYTHON=/path/to/a/python/with/google-genai node docs/wire/capture/python.mjs
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { reply } from "./interactions-script.mjs";
import { startCapture } from "./server.mjs";

const cap = await startCapture(reply);
const script = fileURLToPath(new URL("./interactions.py", import.meta.url));
// Asynchronous: the capture server lives in this process and must keep answering while Python runs.
const code = await new Promise((resolve) => spawn(process.env.PYTHON ?? "python3", [script, cap.origin], { stdio: "inherit" }).on("exit", resolve));
await cap.close();
process.exitCode = code ?? 1;
