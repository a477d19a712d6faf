import type { DeliveryState, SigningScheme, Webhook } from "@tidings/sdk";
import { type Command, Option } from "commander";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";

const line = (w: Webhook) => `${w.id}  ${w.state}  ${w.uri}  [${w.subscribed_events.join(", ")}]${w.name ? `  ${w.name}` : ""}`;

/** `tidings webhooks …` and `tidings deliveries …`: the static webhooks of a project and what they were sent. */
export function registerWebhooks(program: Command): void {
  const webhooks = program.command("webhooks").description("manage the project's static webhooks");

  withClientOptions(webhooks.command("list").description("list webhooks")).action(async (flags: ClientFlags) => {
    const page = await clientFrom(flags).tidings.webhooks.list({ page_size: 1000 });
    for (const webhook of page.webhooks) process.stdout.write(`${line(webhook)}\n`);
  });

  withClientOptions(webhooks.command("create").description("register a webhook; prints its signing secret, once (v1a: its public key)"))
    .requiredOption("--uri <url>", "where to POST events")
    .option("--events <types>", "comma-separated event types or patterns", "*")
    .option("--name <name>", "a name for it")
    .addOption(new Option("--signing-scheme <scheme>", "v1 (HMAC secret) or v1a (Ed25519 key pair)").choices(["v1", "v1a"]).default("v1"))
    .action(async (flags: ClientFlags & { uri: string; events: string; name?: string; signingScheme: SigningScheme }) => {
      const created = await clientFrom(flags).tidings.webhooks.create({
        uri: flags.uri,
        subscribed_events: flags.events.split(",").map((e) => e.trim()),
        signing_scheme: flags.signingScheme,
        ...(flags.name !== undefined ? { name: flags.name } : {}),
      });
      const credential =
        created.public_key !== undefined
          ? `public key (verify v1a deliveries with it): ${created.public_key}`
          : `signing secret (shown only now): ${created.new_signing_secret}`;
      process.stdout.write(`${line(created)}\n${credential}\n`);
    });

  withClientOptions(webhooks.command("delete").argument("<id>").description("delete a webhook")).action(async (id: string, flags: ClientFlags) => {
    await clientFrom(flags).tidings.webhooks.delete(id);
    process.stdout.write(`deleted ${id}\n`);
  });

  withClientOptions(webhooks.command("ping").argument("<id>").description("send it a webhook.ping")).action(async (id: string, flags: ClientFlags) => {
    await clientFrom(flags).tidings.webhooks.ping(id);
    process.stdout.write(`ping queued for ${id}\n`);
  });

  const deliveries = program.command("deliveries").description("inspect and recover a webhook's deliveries");

  withClientOptions(deliveries.command("list").description("a webhook's deliveries, newest attempts last"))
    .requiredOption("--webhook <id>", "the webhook")
    .option("--state <state>", "pending, succeeded or failed")
    .action(async (flags: ClientFlags & { webhook: string; state?: DeliveryState }) => {
      const page = await clientFrom(flags).tidings.webhooks.deliveries(flags.webhook, { state: flags.state, page_size: 1000 });
      for (const d of page.deliveries) {
        const outcome = d.last_status_code !== undefined ? `HTTP ${d.last_status_code}` : (d.last_error ?? "not tried yet");
        const next = d.next_attempt_time !== undefined ? `  next ${d.next_attempt_time}` : "";
        process.stdout.write(`${d.create_time}  ${d.event_id}  ${d.state}  ${d.attempt_count} attempt(s)  ${outcome}${next}\n`);
      }
    });

  withClientOptions(deliveries.command("recover").description("re-queue a webhook's failed deliveries since a time"))
    .requiredOption("--webhook <id>", "the webhook")
    .requiredOption("--since <time>", "RFC 3339, e.g. 2026-05-04T00:00:00Z")
    .action(async (flags: ClientFlags & { webhook: string; since: string }) => {
      const result = await clientFrom(flags).tidings.webhooks.recover(flags.webhook, { since: flags.since });
      process.stdout.write(`${result.recovered_count} deliveries re-queued\n`);
    });
}
