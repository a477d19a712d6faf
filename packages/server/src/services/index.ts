import type { ServiceContext } from "./context.js";
import { BatchService, type BatchRunnerControl } from "./batches.js";
import { EventService } from "./events.js";
import { FileService, type FileServiceOptions } from "./files.js";
import { OperationService } from "./operations.js";
import { ProjectService } from "./projects.js";
import { WebhookService } from "./webhooks.js";

export interface Services {
  webhooks: WebhookService;
  operations: OperationService;
  events: EventService;
  projects: ProjectService;
  files: FileService;
  batches: BatchService;
}

export interface BatchOptions {
  /** The batch runner, once it exists: it needs these services, so it is bound late. */
  runner: () => BatchRunnerControl | undefined;
  defaultDeadlineMs: number;
  maxLineBytes: number;
}

export function createServices(ctx: ServiceContext, fileOptions: FileServiceOptions, batchOptions: BatchOptions): Services {
  const files = new FileService(ctx, fileOptions);
  return {
    webhooks: new WebhookService(ctx),
    operations: new OperationService(ctx),
    events: new EventService(ctx),
    projects: new ProjectService(ctx),
    files,
    batches: new BatchService(ctx, files, batchOptions.runner, batchOptions.defaultDeadlineMs, batchOptions.maxLineBytes),
  };
}
