import type { Command } from "commander";
import { clientFrom, withClientOptions, type ClientFlags } from "./api-client.js";

interface WebhookView {
  id: string;
  name: string;
  uri: string;
  state: string;
  subscribed_events: string[];
  new_signing_secret?: string;
}

interface DeliveryView {
  id: string;
  event_id: string;
  state: string;
  attempt_count: number;
  last_status_code?: number;
  last_error?: string;
  next_attempt_time?: string;
  create_time: string;
}

const line = (w: WebhookView) => `${w.id}  ${w.state}  ${w.uri}  [${w.subscribed_events.join(", ")}]${w.name ? `  ${w.name}` : ""}`;

/** `tidings webhooks …` and `tidings deliveries …`: the static webhooks of a project and what they were sent. */
export function registerWebhooks(program: Command): void {
  const webhooks = program.command("webhooks").description("manage the project's static webhooks");

  withClientOptions(webhooks.command("list").description("list webhooks")).action(async (flags: ClientFlags) => {
    const page = await clientFrom(flags).call<{ webhooks?: WebhookView[] }>("GET", "/v1/webhooks?page_size=1000");
    for (const webhook of page.webhooks ?? []) process.stdout.write(`${line(webhook)}\n`);
  });

  withClientOptions(webhooks.command("create").description("register a webhook; prints its signing secret, once"))
    .requiredOption("--uri <url>", "where to POST events")
    .option("--events <types>", "comma-separated event types or patterns", "*")
    .option("--name <name>", "a name for it")
    .action(async (flags: ClientFlags & { uri: string; events: string; name?: string }) => {
      const created = await clientFrom(flags).call<WebhookView>("POST", "/v1/webhooks", {
        uri: flags.uri,
        subscribed_events: flags.events.split(",").map((e) => e.trim()),
        ...(flags.name !== undefined ? { name: flags.name } : {}),
      });
      process.stdout.write(`${line(created)}\nsigning secret (shown only now): ${created.new_signing_secret}\n`);
    });

  withClientOptions(webhooks.command("delete").argument("<id>").description("delete a webhook")).action(async (id: string, flags: ClientFlags) => {
    await clientFrom(flags).call("DELETE", `/v1/webhooks/${id}`);
    process.stdout.write(`deleted ${id}\n`);
  });

  withClientOptions(webhooks.command("ping").argument("<id>").description("send it a webhook.ping")).action(async (id: string, flags: ClientFlags) => {
    await clientFrom(flags).call("POST", `/v1/webhooks/${id}:ping`, {});
    process.stdout.write(`ping queued for ${id}\n`);
  });

  const deliveries = program.command("deliveries").description("inspect and recover a webhook's deliveries");

  withClientOptions(deliveries.command("list").description("a webhook's deliveries, newest attempts last"))
    .requiredOption("--webhook <id>", "the webhook")
    .option("--state <state>", "pending, succeeded or failed")
    .action(async (flags: ClientFlags & { webhook: string; state?: string }) => {
      const query = flags.state !== undefined ? `?state=${encodeURIComponent(flags.state)}&page_size=1000` : "?page_size=1000";
      const page = await clientFrom(flags).call<{ deliveries?: DeliveryView[] }>("GET", `/v1/webhooks/${flags.webhook}/deliveries${query}`);
      for (const d of page.deliveries ?? []) {
        const outcome = d.last_status_code !== undefined ? `HTTP ${d.last_status_code}` : (d.last_error ?? "not tried yet");
        const next = d.next_attempt_time !== undefined ? `  next ${d.next_attempt_time}` : "";
        process.stdout.write(`${d.create_time}  ${d.event_id}  ${d.state}  ${d.attempt_count} attempt(s)  ${outcome}${next}\n`);
      }
    });

  withClientOptions(deliveries.command("recover").description("re-queue a webhook's failed deliveries since a time"))
    .requiredOption("--webhook <id>", "the webhook")
    .requiredOption("--since <time>", "RFC 3339, e.g. 2026-05-04T00:00:00Z")
    .action(async (flags: ClientFlags & { webhook: string; since: string }) => {
      const result = await clientFrom(flags).call<{ recovered_count: number }>("POST", `/v1/webhooks/${flags.webhook}:recover`, { since: flags.since });
      process.stdout.write(`${result.recovered_count} deliveries re-queued\n`);
    });
}
