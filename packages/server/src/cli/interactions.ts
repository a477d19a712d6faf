import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { CreateInteractionRequest, Interaction, InteractionStep, InteractionTool } from "@tidings/sdk/contract";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import type { GeminiSurface } from "./gemini-surface.js";
import { pollUntil } from "./poll.js";

interface RunFlags extends ClientFlags {
  background?: boolean;
  wait?: boolean;
  webhookUri?: string[];
  json?: boolean;
}

/**
 * What a person wants to see of an interaction: its status, then the calls it waits for or its answer. One
 * whose calls were answered shows as resumed, with the interaction that continues it.
 */
export function describeInteraction(interaction: Interaction): string {
  const resumedBy = interaction.resumed_by;
  const lines = [`${interaction.id}  ${resumedBy !== undefined ? "resumed" : interaction.status}`];
  const own = interaction.steps ?? [];
  if (resumedBy !== undefined) {
    lines.push(`  continued by interaction ${resumedBy}: tidings interactions get ${resumedBy}`);
  } else if (interaction.status === "requires_action") {
    const calls = own.filter((step) => step.type === "function_call");
    for (const call of calls)
      lines.push(`  waits for ${call.name}(${JSON.stringify(call.arguments)})  call_id ${call.id}`);
    const results = calls.map((call) => `--result ${call.id}='{"…": …}'`).join(" ");
    lines.push(`  resume with: tidings interactions resume ${interaction.id} ${results}`);
  }
  const answer = own
    .filter((s) => s.type === "model_output")
    .flatMap((s) => s.content.flatMap((c) => (c.type === "text" && c.text !== undefined ? [c.text] : [])))
    .join("\n");
  if (interaction.status === "completed" && answer !== "") lines.push(answer.replace(/^/gm, "  "));
  for (const error of interaction.errors ?? []) lines.push(`  ${error.code ?? "error"}: ${error.message ?? ""}`);
  return lines.join("\n");
}

/** Follows a background interaction until it stops running: requires action, or ends. */
export function waitForInteraction(gemini: GeminiSurface, id: string): Promise<Interaction> {
  return pollUntil(
    () => gemini.getInteraction(id),
    (interaction) => interaction.status !== "in_progress",
  );
}

/** `--result call_7f3a='{"temp_c": 21}'`: a call's id and its result, JSON (or plain text, taken as a string). */
function parseResult(entry: string): InteractionStep {
  const at = entry.indexOf("=");
  if (at <= 0) throw new Error(`--result ${entry}: expected CALL_ID=RESULT, e.g. call_7f3a='{"temp_c": 21}'`);
  const text = entry.slice(at + 1);
  let result: unknown = text;
  try {
    result = JSON.parse(text);
  } catch {
    // Not JSON: the result is the text itself.
  }
  return { type: "function_result", call_id: entry.slice(0, at), result };
}

async function run(flags: RunFlags, request: CreateInteractionRequest): Promise<void> {
  const { gemini } = clientFrom(flags);
  const background = flags.background === true || flags.wait === true || flags.webhookUri !== undefined;
  let interaction = await gemini.createInteraction({
    ...request,
    ...(background ? { background: true } : {}),
    ...(flags.webhookUri !== undefined ? { webhook_config: { uris: flags.webhookUri } } : {}),
  });
  if (background && flags.wait === true) interaction = await waitForInteraction(gemini, interaction.id);
  process.stdout.write(
    `${flags.json === true ? JSON.stringify(interaction, null, 2) : describeInteraction(interaction)}\n`,
  );
  if (interaction.status === "failed" || interaction.status === "cancelled") process.exitCode = 1;
}

function withRunOptions(command: Command): Command {
  return withClientOptions(command)
    .option("--background", "run after answering; events announce the end (with no --wait: print the id and return)")
    .option("--wait", "run in the background and follow it until it requires action or ends")
    .option("--webhook-uri <url...>", "this request's own webhook targets (implies --background)")
    .option("--json", "print the whole interaction as JSON");
}

export function registerInteractions(program: Command): void {
  const interactions = program
    .command("interactions")
    .description("run Gemini-style interactions that may pause for a function result");

  withRunOptions(interactions.command("create").description("start an interaction with a model or an agent"))
    .requiredOption("--input <text>", "what to ask")
    .option("--model <model>", "the model", "gemini-2.5-flash")
    .option(
      "--agent <agent>",
      "an agent instead of a model, e.g. deep-research-pro-preview-12-2025 (runs in the background)",
    )
    .option(
      "--tools <file>",
      'a JSON file with a list of function tools: [{"type": "function", "name", "description", "parameters"}]',
    )
    .option("--system <text>", "a system instruction")
    .action(
      async (flags: RunFlags & { input: string; model: string; agent?: string; tools?: string; system?: string }) => {
        const tools =
          flags.tools === undefined ? undefined : (JSON.parse(readFileSync(flags.tools, "utf8")) as InteractionTool[]);
        await run(flags.agent !== undefined ? { ...flags, background: true } : flags, {
          ...(flags.agent !== undefined ? { agent: flags.agent } : { model: flags.model }),
          input: flags.input,
          ...(tools !== undefined ? { tools } : {}),
          ...(flags.system !== undefined ? { system_instruction: flags.system } : {}),
        });
      },
    );

  withClientOptions(
    interactions.command("get").argument("<id>", "the interaction's id").description("show an interaction"),
  )
    .option("--json", "print the whole interaction as JSON")
    .action(async (id: string, flags: ClientFlags & { json?: boolean }) => {
      const interaction = await clientFrom(flags).gemini.getInteraction(id);
      process.stdout.write(
        `${flags.json === true ? JSON.stringify(interaction, null, 2) : describeInteraction(interaction)}\n`,
      );
    });

  withRunOptions(
    interactions
      .command("resume")
      .argument("<id>", "an interaction that requires action")
      .description("answer its function calls: a new interaction continues it"),
  )
    .requiredOption("--result <call=json...>", "a result per pending call: CALL_ID='{\"temp_c\": 21}' (JSON, or text)")
    .action(async (id: string, flags: RunFlags & { result: string[] }) => {
      await run(flags, { previous_interaction_id: id, input: flags.result.map(parseResult) });
    });
}
