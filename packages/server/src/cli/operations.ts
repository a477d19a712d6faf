import type { BatchOperation, Operation, VideoOperation } from "@tidings/sdk/contract";
import type { Command } from "commander";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import { parseIntegerOption, parseJsonOption } from "./json-option.js";

type AnyOperation = Operation | BatchOperation | VideoOperation;

/** Every kind that GET /v1/operations lists, in one spelling: SUCCEEDED, RUNNING, … */
function stateOf(op: AnyOperation): string {
  if (op.name.startsWith("operations/")) return (op as Operation).metadata.state;
  if (op.name.startsWith("batches/")) return (op as BatchOperation).metadata.state.replace("BATCH_STATE_", "");
  return !op.done ? "RUNNING" : op.error !== undefined ? "FAILED" : "SUCCEEDED";
}

/** What it is: a custom operation's type, a batch's model, a video's model. */
function labelOf(op: AnyOperation): string {
  if (op.name.startsWith("operations/")) return (op as Operation).metadata.type;
  if (op.name.startsWith("batches/")) return (op as BatchOperation).metadata.model;
  return op.name.split("/")[1] ?? "";
}

/** `operations/3k…  SUCCEEDED  export  2026-05-04T12:00:00Z`, and the error when it failed. */
export function operationLine(op: AnyOperation): string {
  const created = (op.metadata as { createTime?: string }).createTime ?? "";
  const error = op.error !== undefined ? `  error ${op.error.code}: ${op.error.message}` : "";
  return `${op.name}  ${stateOf(op)}  ${labelOf(op)}  ${created}${error}`;
}

/** `tidings operations …`: custom operations that your own workers run, and every kind for listing. */
export function registerOperations(program: Command): void {
  const operations = program.command("operations").description("create, end and inspect long-running operations");

  withClientOptions(operations.command("list").description("list operations of every kind, oldest first"))
    .option("--filter <filter>", 'e.g. "done=false AND kind=custom" (kind: custom, batch, video)')
    .option("--page-size <n>", "how many", "100")
    .action(async (flags: ClientFlags & { filter?: string; pageSize: string }) => {
      const page = await clientFrom(flags).tidings.operations.list({
        filter: flags.filter,
        page_size: parseIntegerOption("--page-size", flags.pageSize),
      });
      if (page.operations.length === 0) process.stdout.write("no operations\n");
      for (const op of page.operations) process.stdout.write(`${operationLine(op)}\n`);
    });

  withClientOptions(
    operations.command("get").argument("<name>", "operations/ID (or the ID)").description("show an operation as JSON"),
  ).action(async (name: string, flags: ClientFlags) => {
    process.stdout.write(`${JSON.stringify(await clientFrom(flags).tidings.operations.get(name), null, 2)}\n`);
  });

  withClientOptions(
    operations.command("create").description("start a custom operation; its end sends {type}.succeeded, .failed, …"),
  )
    .requiredOption("--type <type>", "what it is, e.g. export: its events are export.succeeded and so on")
    .option("--metadata <json>", 'yours, kept on the operation, e.g. \'{"customer": "c1"}\'')
    .option("--expire-time <time>", "RFC 3339; unfinished then, it ends as {type}.expired")
    .option(
      "--webhook-uri <url...>",
      "this operation's own webhook targets (JWT-signed), instead of the project's webhooks",
    )
    .action(
      async (flags: ClientFlags & { type: string; metadata?: string; expireTime?: string; webhookUri?: string[] }) => {
        const created = await clientFrom(flags).tidings.operations.create({
          type: flags.type,
          ...(flags.metadata !== undefined ? { metadata: parseJsonOption("--metadata", flags.metadata) } : {}),
          ...(flags.expireTime !== undefined ? { expire_time: flags.expireTime } : {}),
          ...(flags.webhookUri !== undefined ? { webhook_config: { uris: flags.webhookUri } } : {}),
        });
        process.stdout.write(`${operationLine(created)}\n`);
      },
    );

  withClientOptions(
    operations
      .command("complete")
      .argument("<name>", "operations/ID")
      .description("end it as succeeded: sends {type}.succeeded"),
  )
    .option("--response <json>", "the result, shown in the operation's response")
    .option("--output-file-uri <uri>", "sent in the event as data.output_file_uri")
    .action(async (name: string, flags: ClientFlags & { response?: string; outputFileUri?: string }) => {
      const done = await clientFrom(flags).tidings.operations.complete(name, {
        ...(flags.response !== undefined ? { response: parseJsonOption("--response", flags.response) } : {}),
        ...(flags.outputFileUri !== undefined ? { output_file_uri: flags.outputFileUri } : {}),
      });
      process.stdout.write(`${operationLine(done)}\n`);
    });

  withClientOptions(
    operations.command("fail").argument("<name>", "operations/ID").description("end it as failed: sends {type}.failed"),
  )
    .requiredOption("--message <text>", "what went wrong")
    .option("--code <n>", "a google.rpc.Code number (default 2, UNKNOWN)")
    .action(async (name: string, flags: ClientFlags & { message: string; code?: string }) => {
      const failed = await clientFrom(flags).tidings.operations.fail(name, {
        error: {
          message: flags.message,
          ...(flags.code !== undefined ? { code: parseIntegerOption("--code", flags.code) } : {}),
        },
      });
      process.stdout.write(`${operationLine(failed)}\n`);
    });

  withClientOptions(
    operations
      .command("cancel")
      .argument("<name>", "operations/ID")
      .description("end it as cancelled: sends {type}.cancelled"),
  ).action(async (name: string, flags: ClientFlags) => {
    process.stdout.write(`${operationLine(await clientFrom(flags).tidings.operations.cancel(name))}\n`);
  });
}
