import { writeFileSync } from "node:fs";
import type { FileResource } from "@tidings/sdk/contract";
import type { Command } from "commander";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import { parseIntegerOption } from "./json-option.js";

/** `files/ab12…  text/jsonl  2048 bytes  GENERATED  2026-05-04T12:00:00Z  batch-output` */
export function fileLine(file: FileResource): string {
  return `${file.name}  ${file.mimeType}  ${file.sizeBytes} bytes  ${file.source}  ${file.createTime}${file.displayName ? `  ${file.displayName}` : ""}`;
}

/**
 * `tidings files …`: uploads and what Tidings wrote (batch outputs, videos), so a batch's output can be fetched from
 * the shell.
 */
export function registerFiles(program: Command): void {
  const files = program.command("files").description("list, show and download files: uploads, batch outputs, videos");

  withClientOptions(files.command("list").description("list the project's files"))
    .option("--page-size <n>", "how many", "100")
    .action(async (flags: ClientFlags & { pageSize: string }) => {
      const page = await clientFrom(flags).gemini.listFiles(parseIntegerOption("--page-size", flags.pageSize));
      if (page.files.length === 0) process.stdout.write("no files\n");
      for (const file of page.files) process.stdout.write(`${fileLine(file)}\n`);
    });

  withClientOptions(
    files.command("get").argument("<name>", "files/ID (or the ID)").description("show a file's metadata as JSON"),
  ).action(async (name: string, flags: ClientFlags) => {
    process.stdout.write(`${JSON.stringify(await clientFrom(flags).gemini.getFile(name), null, 2)}\n`);
  });

  withClientOptions(
    files
      .command("download")
      .argument("<name>", "files/ID, e.g. a batch's output file")
      .description("fetch a file's bytes"),
  )
    .option("--out <path>", "write them to this file (default: standard output)")
    .action(async (name: string, flags: ClientFlags & { out?: string }) => {
      const bytes = await clientFrom(flags).gemini.downloadBytes(name);
      if (flags.out === undefined) {
        process.stdout.write(bytes);
        return;
      }
      writeFileSync(flags.out, bytes);
      process.stdout.write(`saved ${bytes.length} bytes to ${flags.out}\n`);
    });
}
