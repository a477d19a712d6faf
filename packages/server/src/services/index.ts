import type { Provider } from "../providers/provider.js";
import type { ServiceContext } from "./context.js";
import { BatchService, type BatchRunnerControl } from "./batches.js";
import { EventService } from "./events.js";
import { FileService, type FileServiceOptions } from "./files.js";
import { ModelService } from "./models.js";
import { InteractionService, type InteractionRunnerControl, type InteractionTurns } from "./interactions.js";
import { OperationService } from "./operations.js";
import { PortalLinkService } from "./portal-links.js";
import { ProjectService } from "./projects.js";
import { VideoService, type VideoRunnerControl } from "./videos.js";
import { StatsService } from "./stats.js";
import { WebhookService } from "./webhooks.js";

export interface Services {
  webhooks: WebhookService;
  operations: OperationService;
  events: EventService;
  projects: ProjectService;
  files: FileService;
  batches: BatchService;
  interactions: InteractionService;
  videos: VideoService;
  models: ModelService;
  stats: StatsService;
  portalLinks: PortalLinkService;
}

export interface BatchOptions {
  /** The batch runner, once it exists: it needs these services, so it is bound late. */
  runner: () => BatchRunnerControl | undefined;
  defaultDeadlineMs: number;
  maxLineBytes: number;
}

/** Interactions and videos: the providers' turns, and their runners, bound late like the batch runner. */
export interface GenerationOptions {
  /** The model backend of `generateContent`. */
  provider: Provider;
  turns: InteractionTurns;
  interactionRunner: () => InteractionRunnerControl | undefined;
  videoRunner: () => VideoRunnerControl | undefined;
}

export function createServices(ctx: ServiceContext, fileOptions: FileServiceOptions, batchOptions: BatchOptions, generation: GenerationOptions): Services {
  const files = new FileService(ctx, fileOptions);
  return {
    webhooks: new WebhookService(ctx),
    operations: new OperationService(ctx),
    events: new EventService(ctx),
    projects: new ProjectService(ctx),
    files,
    batches: new BatchService(ctx, files, batchOptions.runner, batchOptions.defaultDeadlineMs, batchOptions.maxLineBytes),
    interactions: new InteractionService(ctx, generation.turns, generation.interactionRunner),
    videos: new VideoService(ctx, files, generation.videoRunner),
    models: new ModelService(generation.provider),
    stats: new StatsService(ctx),
    portalLinks: new PortalLinkService(ctx, fileOptions.publicUrl),
  };
}
