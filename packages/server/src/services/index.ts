import type { ServiceContext } from "./context.js";
import { EventService } from "./events.js";
import { OperationService } from "./operations.js";
import { ProjectService } from "./projects.js";
import { WebhookService } from "./webhooks.js";

export interface Services {
  webhooks: WebhookService;
  operations: OperationService;
  events: EventService;
  projects: ProjectService;
}

export function createServices(ctx: ServiceContext): Services {
  return {
    webhooks: new WebhookService(ctx),
    operations: new OperationService(ctx),
    events: new EventService(ctx),
    projects: new ProjectService(ctx),
  };
}
