import type { Provider } from "../providers/provider.js";
import type { ServiceContext } from "./context.js";
import { BatchService } from "./batches.js";
import { EventService } from "./events.js";
import { FileService, type FileServiceOptions } from "./files.js";
import { KindLeases } from "./leases.js";
import { IdempotencyService } from "./idempotency.js";
import { ModelService } from "./models.js";
import { InteractionService, type InteractionTurns } from "./interactions.js";
import { OperationService } from "./operations.js";
import { PortalLinkService } from "./portal-links.js";
import { ProjectService } from "./projects.js";
import { RetentionService, type RetentionOptions } from "./retention.js";
import { VideoService } from "./videos.js";
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
  retention: RetentionService;
  idempotency: IdempotencyService;
  portalLinks: PortalLinkService;
}

export interface BatchOptions {
  defaultDeadlineMs: number;
  maxLineBytes: number;
}

/** Generation: the model backend of `generateContent`, and the providers' turns that run interactions. */
export interface GenerationOptions {
  provider: Provider;
  turns: InteractionTurns;
}

/** Caps on what one project may hold (README: Configuration). */
export interface ProjectLimits {
  maxWebhooksPerProject: number;
}

export function createServices(
  ctx: ServiceContext,
  fileOptions: FileServiceOptions,
  batchOptions: BatchOptions,
  generation: GenerationOptions,
  retention: RetentionOptions,
  limits: ProjectLimits,
): Services {
  const files = new FileService(ctx, fileOptions);
  const idempotency = new IdempotencyService(ctx);
  return {
    webhooks: new WebhookService(ctx, limits.maxWebhooksPerProject),
    operations: new OperationService(ctx),
    events: new EventService(ctx),
    projects: new ProjectService(ctx),
    files,
    batches: new BatchService(
      ctx,
      files,
      new KindLeases(ctx.store.batches),
      batchOptions.defaultDeadlineMs,
      batchOptions.maxLineBytes,
    ),
    interactions: new InteractionService(ctx, generation.turns, new KindLeases(ctx.store.interactions)),
    videos: new VideoService(ctx, files, new KindLeases(ctx.store.videos)),
    models: new ModelService(generation.provider),
    stats: new StatsService(ctx),
    retention: new RetentionService(ctx, files, idempotency, retention),
    idempotency,
    portalLinks: new PortalLinkService(ctx, fileOptions.publicUrl),
  };
}
