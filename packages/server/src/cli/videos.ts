import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { VideoOperation } from "@tidings/sdk/contract";
import { clientFrom, withClientOptions, type ClientFlags } from "./client.js";
import type { GeminiSurface } from "./gemini-surface.js";
import { pollUntil } from "./poll.js";

/** Follows a video generation until it is done. */
export function waitForVideo(gemini: GeminiSurface, name: string): Promise<VideoOperation> {
  return pollUntil(
    () => gemini.getVideoOperation(name),
    (operation) => operation.done === true,
  );
}

export function registerVideos(program: Command): void {
  const videos = program.command("videos").description("generate videos (Gemini's predictLongRunning)");

  withClientOptions(videos.command("generate").description("generate a video from a prompt"))
    .requiredOption("--prompt <text>", "what the video shows")
    .option("--model <model>", "the model", "veo-3.0-generate-001")
    .option("--duration <seconds>", "the clip's length in seconds", Number)
    .option("--aspect-ratio <ratio>", '"16:9" or "9:16"')
    .option("--webhook-uri <url...>", "this request's own webhook targets for video.generated")
    .option("--wait", "follow the generation until it is done")
    .option("--out <file>", "with --wait: save the clip there")
    .action(
      async (
        flags: ClientFlags & {
          prompt: string;
          model: string;
          duration?: number;
          aspectRatio?: string;
          webhookUri?: string[];
          wait?: boolean;
          out?: string;
        },
      ) => {
        const { gemini } = clientFrom(flags);
        const parameters = {
          ...(flags.duration !== undefined ? { durationSeconds: flags.duration } : {}),
          ...(flags.aspectRatio !== undefined ? { aspectRatio: flags.aspectRatio } : {}),
        };
        const started = await gemini.generateVideo(flags.model, {
          instances: [{ prompt: flags.prompt }],
          ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
          ...(flags.webhookUri !== undefined ? { webhookConfig: { uris: flags.webhookUri } } : {}),
        });
        process.stdout.write(`${started.name} started\n`);
        if (flags.wait !== true) return;
        const done = await waitForVideo(gemini, started.name);
        if (done.error !== undefined) {
          process.stdout.write(`FAILED: ${done.error.message}\n`);
          process.exitCode = 1;
          return;
        }
        const uri = done.response?.generateVideoResponse.generatedSamples[0]?.video.uri ?? "";
        const fileName = `files/${/files\/([a-z0-9]+)/.exec(uri)?.[1] ?? ""}`;
        process.stdout.write(`GENERATED: ${fileName}\n`);
        if (flags.out === undefined) return;
        const bytes = await gemini.downloadBytes(fileName);
        writeFileSync(flags.out, bytes);
        process.stdout.write(`saved ${bytes.length} bytes to ${flags.out}\n`);
      },
    );
}
