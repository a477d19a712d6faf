import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import type { BatchOperation } from "@tidings/sdk/contract";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import type { GeminiSurface } from "./gemini-surface.js";

const BAR_WIDTH = 30;

/** One line of progress: a bar on a terminal, plain text in a log. */
export function progressLine(batch: BatchOperation): string {
  const stats = batch.metadata.batchStats;
  const total = Number(stats.requestCount);
  const finished = Number(stats.successfulRequestCount) + Number(stats.failedRequestCount);
  const filled = total === 0 ? BAR_WIDTH : Math.round((finished / total) * BAR_WIDTH);
  const state = batch.metadata.state.replace("BATCH_STATE_", "");
  return `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${finished}/${total} done, ${stats.failedRequestCount} failed  ${state}`;
}

/** Follows a batch until it ends, redrawing its progress bar. */
export async function waitForBatch(gemini: GeminiSurface, name: string, out: NodeJS.WriteStream = process.stdout): Promise<BatchOperation> {
  let last = "";
  for (;;) {
    const batch = await gemini.getBatch(name);
    const line = progressLine(batch);
    if (out.isTTY) out.write(`\r${line}`);
    else if (line !== last) out.write(`${line}\n`);
    last = line;
    if (batch.done) {
      if (out.isTTY) out.write("\n");
      return batch;
    }
    await new Promise((r) => setTimeout(r, 500));
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
      const created = await gemini.createBatch(flags.model, { batch: { displayName: flags.displayName ?? basename(flags.file), inputConfig: { fileName } } });
      process.stdout.write(`${created.name} created from ${fileName}\n`);
      if (!flags.wait) return;
      const done = await waitForBatch(gemini, created.name);
      const output = done.metadata.output?.responsesFile;
      process.stdout.write(`${done.metadata.state.replace("BATCH_STATE_", "")}${output ? `; output: ${output}` : ""}\n`);
      if (done.metadata.state !== "BATCH_STATE_SUCCEEDED") process.exitCode = 1;
    });

  withClientOptions(batches.command("get").argument("<name>", "batches/ID").description("show a batch")).action(async (name: string, flags: ClientFlags) => {
    const batch = await clientFrom(flags).gemini.getBatch(name);
    process.stdout.write(`${JSON.stringify(batch, null, 2)}\n`);
  });

  withClientOptions(batches.command("list").description("list batches")).action(async (flags: ClientFlags) => {
    const page = await clientFrom(flags).gemini.listBatches(100);
    for (const batch of page.operations) process.stdout.write(`${summary(batch)}\n`);
  });

  withClientOptions(batches.command("cancel").argument("<name>", "batches/ID").description("cancel a running batch")).action(async (name: string, flags: ClientFlags) => {
    await clientFrom(flags).gemini.cancelBatch(name);
    process.stdout.write(`${name.startsWith("batches/") ? name : `batches/${name}`} cancelled\n`);
  });
}
