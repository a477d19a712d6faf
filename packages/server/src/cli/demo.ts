import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyWebhook, type WebhookEvent } from "@tidings/sdk/verify";
import type { Command } from "commander";
import pino from "pino";
import { loadConfig } from "../config.js";
import { freePort } from "../net/free-port.js";
import { startServer } from "../server.js";
import { connect } from "./client.js";
import { waitForBatch } from "./batches.js";

const PROMPTS = ["Name a bird that cannot fly.", "What is 12 × 12?", "Translate 'tidings' into French.", "Give a synonym for 'push'.", "Why do webhooks beat polling?"];

function say(step: string, detail = ""): void {
  process.stdout.write(`\n▸ ${step}${detail ? `\n  ${detail.replace(/\n/g, "\n  ")}` : ""}\n`);
}

/** A local receiver that verifies each delivery with @tidings/sdk, resolving on the first batch event. */
async function startDemoReceiver(secret: () => string): Promise<{ url: string; event: Promise<WebhookEvent>; close(): void }> {
  let resolve!: (event: WebhookEvent) => void;
  const event = new Promise<WebhookEvent>((r) => (resolve = r));
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      verifyWebhook(body, req.headers as IncomingHttpHeaders as Record<string, string>, { secret: secret() })
        .then((verified) => {
          res.writeHead(204).end();
          if (verified.type.startsWith("batch.")) resolve(verified);
        })
        .catch((err: Error) => {
          process.stdout.write(`  receiver rejected a request: ${err.message}\n`);
          res.writeHead(400).end();
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks`, event, close: () => server.close() };
}

/** `tidings demo`: the whole flow on a fresh machine, narrated. */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("run a server, a receiver and a small batch end to end, explaining each step")
    .action(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "tidings-demo-"));
      const apiKey = `demo-${randomBytes(12).toString("hex")}`;
      say("Starting a Tidings server", `embedded SQLite in ${dataDir}, the offline 'local' model provider, dev mode (plain http to 127.0.0.1 allowed)`);
      const server = await startServer(
        loadConfig({ dataDir, dev: true, port: String(await freePort()) }, { TIDINGS_API_KEY: apiKey, TIDINGS_LOCAL_DELAY_MS: "150" }),
        { logger: pino({ level: "warn" }) },
      );
      let secret = "";
      const receiver = await startDemoReceiver(() => secret);
      try {
        const { tidings, gemini } = connect(server.url, apiKey);
        say("Started a webhook receiver", `${receiver.url} verifies every request with verifyWebhook() from @tidings/sdk`);

        const webhook = await tidings.webhooks.create({ uri: receiver.url, subscribed_events: ["batch.*"] });
        secret = webhook.new_signing_secret;
        say("Registered a static webhook for batch.*", `POST /v1/webhooks → id ${webhook.id}\nits signing secret is shown only now: ${secret.slice(0, 12)}…`);

        const jsonl = PROMPTS.map((text, i) => JSON.stringify({ key: `q${i + 1}`, request: { contents: [{ role: "user", parts: [{ text }] }] } })).join("\n");
        const fileName = await gemini.upload(Buffer.from(`${jsonl}\n`), "application/jsonl", "demo.jsonl");
        say(`Uploaded ${PROMPTS.length} requests as JSONL`, `the resumable protocol ai.files.upload speaks → ${fileName}`);

        const batch = await gemini.createBatch("gemini-2.5-flash", { batch: { displayName: "demo", inputConfig: { fileName } } });
        say(`Started ${batch.name}`, "nobody polls for its end: Tidings will push batch.succeeded to the receiver.\n(the bar below only shows progress)");
        await waitForBatch(gemini, batch.name);

        const event = await receiver.event;
        say(`The receiver got ${event.type}, signature verified`, JSON.stringify(event, null, 2));

        const outputFile = event.type === "batch.succeeded" ? event.data.output_file_uri : undefined;
        const output = outputFile !== undefined ? await gemini.download(outputFile) : "";
        say("Downloaded the output (one line per key)", output.trim().split("\n").slice(0, 3).join("\n") + "\n…");
        say("Done", "Next: npm start to run a server of your own, and see README.md.");
      } finally {
        receiver.close();
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
}
