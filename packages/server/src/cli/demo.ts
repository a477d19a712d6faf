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
import { startServer } from "../server.js";
import { connect } from "./client.js";
import { waitForBatch } from "./batches.js";
import type { GeminiSurface } from "./gemini-surface.js";

const PROMPTS = [
  "Name a bird that cannot fly.",
  "What is 12 × 12?",
  "Translate 'tidings' into French.",
  "Give a synonym for 'push'.",
  "Why do webhooks beat polling?",
];

function say(step: string, detail = ""): void {
  process.stdout.write(`\n▸ ${step}${detail ? `\n  ${detail.replace(/\n/g, "\n  ")}` : ""}\n`);
}

/** A local receiver that verifies each delivery with @tidings/sdk and hands the events out in arrival order. */
async function startDemoReceiver(
  secret: () => string,
): Promise<{ url: string; next(prefix: string): Promise<WebhookEvent>; close(): void }> {
  const arrived: WebhookEvent[] = [];
  const waiting: { prefix: string; resolve: (event: WebhookEvent) => void }[] = [];
  const deliver = () => {
    for (const waiter of [...waiting]) {
      const at = arrived.findIndex((e) => e.type.startsWith(waiter.prefix));
      if (at < 0) continue;
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve(arrived.splice(at, 1)[0]!);
    }
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      verifyWebhook(body, req.headers as IncomingHttpHeaders as Record<string, string>, { secret: secret() })
        .then((verified) => {
          res.writeHead(204).end();
          // At least once: a retried delivery carries the webhook-id it had, and is shown once.
          if (seen.has(String(req.headers["webhook-id"]))) return;
          seen.add(String(req.headers["webhook-id"]));
          arrived.push(verified);
          deliver();
        })
        .catch((err: Error) => {
          process.stdout.write(`  receiver rejected a request: ${err.message}\n`);
          res.writeHead(400).end();
        });
    });
  });
  const seen = new Set<string>();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    next: (prefix) =>
      new Promise((resolve) => {
        waiting.push({ prefix, resolve });
        deliver();
      }),
    close: () => server.close(),
  };
}

/** `tidings demo`: the whole flow on a fresh machine, narrated. */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "run a server, a receiver, a small batch and an interaction that pauses for a function result, explaining each step",
    )
    .action(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "tidings-demo-"));
      const apiKey = `demo-${randomBytes(12).toString("hex")}`;
      say(
        "Starting a Tidings server",
        `embedded SQLite in ${dataDir}, the offline 'local' model provider, dev mode (plain http to 127.0.0.1 allowed)`,
      );
      const server = await startServer(
        loadConfig({ dataDir, dev: true, port: "0" }, { TIDINGS_API_KEY: apiKey, TIDINGS_LOCAL_DELAY_MS: "150" }),
        {
          logger: pino({ level: "warn" }),
        },
      );
      let secret = "";
      const receiver = await startDemoReceiver(() => secret);
      try {
        const { tidings, gemini } = connect(server.url, apiKey);
        say(
          "Started a webhook receiver",
          `${receiver.url} verifies every request with verifyWebhook() from @tidings/sdk`,
        );

        const webhook = await tidings.webhooks.create({
          uri: receiver.url,
          subscribed_events: ["batch.*", "interaction.*"],
        });
        // A v1 webhook (the default): its reply carries the secret.
        secret = webhook.new_signing_secret ?? "";
        say(
          "Registered a static webhook for batch.* and interaction.*",
          `POST /v1/webhooks → id ${webhook.id}\nits signing secret is shown only now: ${secret.slice(0, 12)}…`,
        );

        const jsonl = PROMPTS.map((text, i) =>
          JSON.stringify({ key: `q${i + 1}`, request: { contents: [{ role: "user", parts: [{ text }] }] } }),
        ).join("\n");
        const fileName = await gemini.upload(Buffer.from(`${jsonl}\n`), "application/jsonl", "demo.jsonl");
        say(
          `Uploaded ${PROMPTS.length} requests as JSONL`,
          `the resumable protocol ai.files.upload speaks → ${fileName}`,
        );

        const batch = await gemini.createBatch("gemini-2.5-flash", {
          batch: { displayName: "demo", inputConfig: { fileName } },
        });
        say(
          `Started ${batch.name}`,
          "nobody polls for its end: Tidings will push batch.succeeded to the receiver.\n(the bar below only shows progress)",
        );
        await waitForBatch(gemini, batch.name);

        const event = await receiver.next("batch.");
        say(`The receiver got ${event.type}, signature verified`, JSON.stringify(event, null, 2));

        const outputFile = event.type === "batch.succeeded" ? event.data.output_file_uri : undefined;
        const output = outputFile !== undefined ? await gemini.download(outputFile) : "";
        say("Downloaded the output (one line per key)", `${output.trim().split("\n").slice(0, 3).join("\n")}\n…`);
        await pausedInteraction(gemini, receiver);
        say("Done", "Next: npm start to run a server of your own, and see README.md.");
      } finally {
        receiver.close();
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
}

const WEATHER_TOOL = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

/** The second half of the demo: an interaction pauses for a function result, and a new one resumes it. */
async function pausedInteraction(
  gemini: GeminiSurface,
  receiver: { next(prefix: string): Promise<WebhookEvent> },
): Promise<void> {
  const question = "What is the weather in Lisbon? Use get_weather with city: Lisbon";
  const created = await gemini.createInteraction({
    model: "gemini-2.5-flash",
    input: question,
    tools: [WEATHER_TOOL],
    background: true,
  });
  say(
    "Started a background interaction with a function tool",
    `POST /v1/interactions {input: "${question}", tools: [get_weather], background: true} → ${created.id}`,
  );

  const paused = await receiver.next("interaction.");
  say(
    `The receiver got ${paused.type}, signature verified`,
    `${JSON.stringify(paused, null, 2)}\nThe interaction now waits in the store alone: no connection, thread or timer is held, and a restart changes nothing.`,
  );
  if (paused.type !== "interaction.requires_action") return;
  const input = paused.data.required_actions.map((call) => ({
    type: "function_result" as const,
    call_id: call.id,
    name: call.name,
    result: { temp_c: 19, sky: "sunny" },
  }));
  const resumed = await gemini.createInteraction({ previous_interaction_id: created.id, input, background: true });
  say(
    "Your handler ran get_weather and resumed it with the result",
    `POST /v1/interactions {previous_interaction_id: "${created.id}", input: [{type: "function_result", …}]} → ${resumed.id}`,
  );

  const completed = await receiver.next("interaction.");
  say(`The receiver got ${completed.type}, signature verified`, JSON.stringify(completed, null, 2));
  const answer = (await gemini.getInteraction(resumed.id)).steps.at(-1);
  say(
    "Fetched the answer, which used the result",
    answer?.type === "model_output" ? answer.content.map((c) => c.text ?? "").join("") : JSON.stringify(answer),
  );
}
