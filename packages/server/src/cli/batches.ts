import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import type { BatchOperation } from "@tidings/sdk/contract";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import type { GeminiSurface } from "./gemini-surface.js";
import { pollUntil } from "./poll.js";

const BAR_WIDTH = 30;
/** Narrower than this, the bar says too little to be worth its brackets: the text goes alone. */
const MIN_BAR_WIDTH = 5;

/**
 * One line of progress, `[#####.....] 12/30 done, 0 failed  RUNNING`, at most `width` characters: the bar
 * narrows first, then goes, then the text is cut. A line that wraps in a narrow terminal could not be
 * redrawn in place, and every redraw would add a line.
 */
export function progressLine(batch: BatchOperation, width = Infinity): string {
  const stats = batch.metadata.batchStats;
  const total = Number(stats.requestCount);
  const finished = Number(stats.successfulRequestCount) + Number(stats.failedRequestCount);
  const state = batch.metadata.state.replace("BATCH_STATE_", "");
  const text = `${finished}/${total} done, ${stats.failedRequestCount} failed  ${state}`;
  const barWidth = Math.min(BAR_WIDTH, width - text.length - 3);
  if (barWidth < MIN_BAR_WIDTH) return text.slice(0, Math.max(width, 0));
  const filled = total === 0 ? barWidth : Math.round((finished / total) * barWidth);
  return `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}] ${text}`;
}

/**
 * Follows a batch until it ends. On a terminal, cli-progress redraws the bar in place, fitted to the
 * terminal's width as it is at each redraw (so a resize is followed too); in a log, each change is a line.
 */
export async function waitForBatch(
  gemini: GeminiSurface,
  name: string,
  out: NodeJS.WriteStream = process.stdout,
): Promise<BatchOperation> {
  const bar = out.isTTY
    ? new SingleBar({
        stream: out,
        // One column spare: a line that fills the last column wraps on some terminals.
        format: (_options, params, payload: { batch: BatchOperation }) =>
          progressLine(payload.batch, params.maxWidth - 1),
        // Leaves the terminal's own line wrapping alone (the default turns it off until the bar stops, which a Ctrl-C
        // skips).
        linewrap: true,
      })
    : undefined;
  let last = "";
  try {
    return await pollUntil(
      () => gemini.getBatch(name),
      (batch) => batch.done === true,
      (batch) => {
        const stats = batch.metadata.batchStats;
        const finished = Number(stats.successfulRequestCount) + Number(stats.failedRequestCount);
        if (bar === undefined) {
          const line = progressLine(batch);
          if (line !== last) out.write(`${line}\n`);
          last = line;
        } else if (!bar.isActive) {
          bar.start(Number(stats.requestCount), finished, { batch });
        } else {
          bar.setTotal(Number(stats.requestCount));
          bar.update(finished, { batch });
        }
      },
    );
  } finally {
    bar?.stop();
  }
}

const summary = (b: BatchOperation) =>
  `${b.name}  ${b.metadata.state.replace("BATCH_STATE_", "")}  ${b.metadata.batchStats.successfulRequestCount}/${b.metadata.batchStats.requestCount} ok  ${b.metadata.displayName}`;

export function registerBatches(program: Command): void {
  const batches = program.command("batches").description("run Gemini-style batches of generateContent requests");

  withClientOptions(batches.command("create").description("upload a JSONL file and start a batch"))
    .requiredOption("--model <model>", "model name, e.g. gemini-2.5-flash")
    .requiredOption("--file <path>", 'JSONL input: one {"key": …, "request": {"contents": […]}} per line')
    .option("--display-name <name>", "a name for the batch")
    .option("--wait", "follow the batch with a progress bar until it ends")
    .action(async (flags: ClientFlags & { model: string; file: string; displayName?: string; wait?: boolean }) => {
      const { gemini } = clientFrom(flags);
      const fileName = await gemini.upload(readFileSync(flags.file), "application/jsonl", basename(flags.file));
      const created = await gemini.createBatch(flags.model, {
        batch: { displayName: flags.displayName ?? basename(flags.file), inputConfig: { fileName } },
      });
      process.stdout.write(`${created.name} created from ${fileName}\n`);
      if (!flags.wait) return;
      const done = await waitForBatch(gemini, created.name);
      const output = done.metadata.output?.responsesFile;
      process.stdout.write(
        `${done.metadata.state.replace("BATCH_STATE_", "")}${output ? `; output: ${output}` : ""}\n`,
      );
      if (done.metadata.state !== "BATCH_STATE_SUCCEEDED") process.exitCode = 1;
    });

  withClientOptions(batches.command("get").argument("<name>", "batches/ID").description("show a batch")).action(
    async (name: string, flags: ClientFlags) => {
      const batch = await clientFrom(flags).gemini.getBatch(name);
      process.stdout.write(`${JSON.stringify(batch, null, 2)}\n`);
    },
  );

  withClientOptions(batches.command("list").description("list batches")).action(async (flags: ClientFlags) => {
    const page = await clientFrom(flags).gemini.listBatches(100);
    for (const batch of page.operations) process.stdout.write(`${summary(batch)}\n`);
  });

  withClientOptions(
    batches.command("cancel").argument("<name>", "batches/ID").description("cancel a running batch"),
  ).action(async (name: string, flags: ClientFlags) => {
    await clientFrom(flags).gemini.cancelBatch(name);
    process.stdout.write(`${name.startsWith("batches/") ? name : `batches/${name}`} cancelled\n`);
  });
}
