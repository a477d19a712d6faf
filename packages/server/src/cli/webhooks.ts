import type {
  DeliveryState,
  SigningScheme,
  UpdateWebhookRequest,
  Webhook,
  WebhookOrdering,
  WebhookState,
} from "@tidings/sdk";
import { type Command, Option } from "commander";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import { parseIntegerOption } from "./json-option.js";

const line = (w: Webhook) =>
  `${w.id}  ${w.state}  ${w.uri}  [${w.subscribed_events.join(", ")}]${w.name ? `  ${w.name}` : ""}`;

/** The line of `webhooks list`, then what a person checks next: its secrets (truncated), routing and times. */
function describeWebhook(w: Webhook): string {
  const secrets = w.signing_secrets.map(
    (s) => `  secret ${s.truncated_secret}${s.expire_time !== undefined ? `  (until ${s.expire_time})` : ""}`,
  );
  const routing = `  ordering ${w.ordering}  rate limit ${w.rate_limit_per_second === undefined ? "none" : `${w.rate_limit_per_second}/s`}`;
  return [line(w), ...secrets, routing, `  created ${w.create_time}  updated ${w.update_time}`].join("\n");
}

/** `tidings webhooks …` and `tidings deliveries …`: the static webhooks of a project and what they were sent. */
export function registerWebhooks(program: Command): void {
  const webhooks = program.command("webhooks").description("manage the project's static webhooks");

  withClientOptions(webhooks.command("list").description("list webhooks")).action(async (flags: ClientFlags) => {
    const page = await clientFrom(flags).tidings.webhooks.list({ page_size: 1000 });
    for (const webhook of page.webhooks) process.stdout.write(`${line(webhook)}\n`);
  });

  withClientOptions(
    webhooks.command("create").description("register a webhook; prints its signing secret, once (v1a: its public key)"),
  )
    .requiredOption("--uri <url>", "where to POST events")
    .option("--events <types>", "comma-separated event types or patterns", "*")
    .option("--name <name>", "a name for it")
    .addOption(
      new Option("--signing-scheme <scheme>", "v1 (HMAC secret) or v1a (Ed25519 key pair)")
        .choices(["v1", "v1a"])
        .default("v1"),
    )
    .option("--ordering <ordering>", "fifo: one delivery at a time, in order (default: unordered)")
    .option("--rate-limit <per-second>", "deliveries started per second at most (default: unlimited)")
    .action(
      async (
        flags: ClientFlags & {
          uri: string;
          events: string;
          name?: string;
          signingScheme: SigningScheme;
          ordering?: string;
          rateLimit?: string;
        },
      ) => {
        const created = await clientFrom(flags).tidings.webhooks.create({
          uri: flags.uri,
          subscribed_events: flags.events.split(",").map((e) => e.trim()),
          signing_scheme: flags.signingScheme,
          ...(flags.name !== undefined ? { name: flags.name } : {}),
          ...(flags.ordering !== undefined ? { ordering: flags.ordering as WebhookOrdering } : {}),
          ...(flags.rateLimit !== undefined
            ? { rate_limit_per_second: parseIntegerOption("--rate-limit", flags.rateLimit) }
            : {}),
        });
        const credential =
          created.public_key !== undefined
            ? `public key (verify v1a deliveries with it): ${created.public_key}`
            : `signing secret (shown only now): ${created.new_signing_secret}`;
        process.stdout.write(`${line(created)}\n${credential}\n`);
      },
    );

  withClientOptions(
    webhooks
      .command("get")
      .argument("<id>")
      .description("show a webhook: its state, events and signing secrets (truncated)"),
  )
    .option("--json", "print it as JSON")
    .action(async (id: string, flags: ClientFlags & { json?: boolean }) => {
      const webhook = await clientFrom(flags).tidings.webhooks.get(id);
      process.stdout.write(`${flags.json === true ? JSON.stringify(webhook, null, 2) : describeWebhook(webhook)}\n`);
    });

  withClientOptions(
    webhooks.command("update").argument("<id>").description("change a webhook's URL, events, name, state or routing"),
  )
    .option("--uri <url>", "where to POST events")
    .option("--events <types>", "comma-separated event types or patterns")
    .option("--name <name>", "a name for it")
    .option("--state <state>", "enabled or disabled")
    .option("--ordering <ordering>", "fifo or unordered")
    .option("--rate-limit <per-second>", 'deliveries started per second at most, or "none"')
    .action(
      async (
        id: string,
        flags: ClientFlags & {
          uri?: string;
          events?: string;
          name?: string;
          state?: string;
          ordering?: string;
          rateLimit?: string;
        },
      ) => {
        const changes: UpdateWebhookRequest = {
          ...(flags.uri !== undefined ? { uri: flags.uri } : {}),
          ...(flags.events !== undefined ? { subscribed_events: flags.events.split(",").map((e) => e.trim()) } : {}),
          ...(flags.name !== undefined ? { name: flags.name } : {}),
          ...(flags.state !== undefined ? { state: flags.state as WebhookState } : {}),
          ...(flags.ordering !== undefined ? { ordering: flags.ordering as WebhookOrdering } : {}),
          ...(flags.rateLimit !== undefined && flags.rateLimit !== "none"
            ? { rate_limit_per_second: parseIntegerOption("--rate-limit", flags.rateLimit) }
            : {}),
        };
        // "none" names the field in the mask with no value: the limit goes.
        const mask = [...Object.keys(changes), ...(flags.rateLimit === "none" ? ["rate_limit_per_second"] : [])];
        if (mask.length === 0)
          throw new Error("nothing to change: give --uri, --events, --name, --state, --ordering or --rate-limit");
        process.stdout.write(`${line(await clientFrom(flags).tidings.webhooks.update(id, changes, mask))}\n`);
      },
    );

  withClientOptions(
    webhooks.command("rotate").argument("<id>").description("make a new signing secret; prints it, once"),
  )
    .option("--revoke-now", "stop signing with the old secrets at once (default: they keep signing for 24 h)")
    .action(async (id: string, flags: ClientFlags & { revokeNow?: boolean }) => {
      const { secret } = await clientFrom(flags).tidings.webhooks.rotateSigningSecret(id, {
        revocation_behavior:
          flags.revokeNow === true ? "revoke_previous_secrets_immediately" : "revoke_previous_secrets_after_h24",
      });
      const old = flags.revokeNow === true ? "the old secrets no longer sign" : "the old secrets keep signing for 24 h";
      process.stdout.write(`new signing secret (shown only now): ${secret}\n${old}\n`);
    });

  withClientOptions(webhooks.command("delete").argument("<id>").description("delete a webhook")).action(
    async (id: string, flags: ClientFlags) => {
      await clientFrom(flags).tidings.webhooks.delete(id);
      process.stdout.write(`deleted ${id}\n`);
    },
  );

  withClientOptions(webhooks.command("ping").argument("<id>").description("send it a webhook.ping")).action(
    async (id: string, flags: ClientFlags) => {
      await clientFrom(flags).tidings.webhooks.ping(id);
      process.stdout.write(`ping queued for ${id}\n`);
    },
  );

  const deliveries = program.command("deliveries").description("inspect and recover a webhook's deliveries");

  withClientOptions(deliveries.command("list").description("a webhook's deliveries, newest first (as the dashboard)"))
    .requiredOption("--webhook <id>", "the webhook")
    .option("--state <state>", "pending, succeeded or failed")
    .option("--page-size <n>", "how many", "100")
    .action(async (flags: ClientFlags & { webhook: string; state?: DeliveryState; pageSize: string }) => {
      const page = await clientFrom(flags).tidings.webhooks.deliveries(flags.webhook, {
        state: flags.state,
        order_by: "create_time desc",
        page_size: parseIntegerOption("--page-size", flags.pageSize),
      });
      if (page.deliveries.length === 0)
        process.stdout.write(`no ${flags.state !== undefined ? `${flags.state} ` : ""}deliveries\n`);
      for (const d of page.deliveries) {
        const outcome =
          d.last_status_code !== undefined ? `HTTP ${d.last_status_code}` : (d.last_error ?? "not tried yet");
        const next = d.next_attempt_time !== undefined ? `  next ${d.next_attempt_time}` : "";
        process.stdout.write(
          `${d.create_time}  ${d.event_id}  ${d.state}  ${d.attempt_count} attempt${d.attempt_count === 1 ? "" : "s"}  ${outcome}${next}\n`,
        );
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
