#!/usr/bin/env node
import { Command } from "commander";
import { VERSION } from "../version.js";
import { registerBackup } from "./backup.js";
import { registerBatches } from "./batches.js";
import { describeError } from "./client.js";
import { registerDemo } from "./demo.js";
import { registerFiles } from "./files.js";
import { registerInteractions } from "./interactions.js";
import { registerKeys } from "./keys.js";
import { registerListen } from "./listen.js";
import { registerMigrate } from "./migrate.js";
import { registerOperations } from "./operations.js";
import { registerServe } from "./serve.js";
import { registerVideos } from "./videos.js";
import { registerWebhooks } from "./webhooks.js";

const program = new Command("tidings").version(VERSION).description("Webhooks for long-running operations");
registerServe(program);
registerListen(program);
registerMigrate(program);
registerBackup(program);
registerBatches(program);
registerInteractions(program);
registerVideos(program);
registerDemo(program);
registerWebhooks(program);
registerOperations(program);
registerFiles(program);
registerKeys(program);
program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`tidings: ${describeError(err)}\n`);
  process.exit(1);
});
