import type { Command } from "commander";
import { newSecretBytes } from "../core/ids.js";
import { newSigningSecret, signStandardWebhook } from "../signing/standard-webhooks.js";
import { VERSION } from "../version.js";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import type { EventSourceMessage } from "eventsource-parser";
import { EventSourceParserStream } from "eventsource-parser/stream";

interface ListenFlags extends ClientFlags {
  forwardTo: string;
  secret?: string;
}

/**
 * `tidings listen --forward-to URL`: streams the project's events and re-sends each, signed with a
 * session secret, to a local URL, so receivers can be developed without a public address.
 */
export function registerListen(program: Command): void {
  withClientOptions(
    program.command("listen").description("stream the project's events and forward each, signed, to a local URL"),
  )
    .requiredOption("--forward-to <url>", "where to POST each event, e.g. http://127.0.0.1:3000/webhooks")
    .option("--secret <whsec>", "signing secret to use instead of a fresh one for this session")
    .action(async (flags: ListenFlags) => {
      const { gemini } = clientFrom(flags);
      const forwardTo = new URL(flags.forwardTo).toString();
      const secret = flags.secret ?? newSigningSecret(newSecretBytes());
      const res = await gemini.stream("/v1/events:stream");
      if (res.body === null) throw new Error("the event stream has no body");
      process.stdout.write(
        `Ready. Forwarding ${flags.server} events to ${forwardTo}\nSigning secret for this session: ${secret}\n`,
      );
      // The server's last words when it drops a stream (a reader too far behind) come as a comment.
      const onComment = (comment: string) => {
        if (comment.trim().startsWith("dropped:")) process.stdout.write(`The server ${comment.trim()}\n`);
      };
      const events = res.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream({ onComment }));
      for await (const event of events as unknown as AsyncIterable<EventSourceMessage>) {
        if (event.id === undefined) continue;
        process.stdout.write(`${await forward(forwardTo, secret, event.id, event.event ?? "?", event.data)}\n`);
      }
      process.stdout.write("The server closed the stream.\n");
    });
}

async function forward(uri: string, secret: string, id: string, type: string, body: string): Promise<string> {
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  const time = new Date().toISOString().slice(11, 19);
  try {
    const res = await fetch(uri, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/json",
        "user-agent": `Tidings-listen/${VERSION}`,
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signStandardWebhook(secret, id, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return `${time}  ${type}  ${id}  → ${res.status} (${Math.round(performance.now() - started)} ms)`;
  } catch (err) {
    return `${time}  ${type}  ${id}  → failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
