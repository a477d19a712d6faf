import type { Project as ProjectResource } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import type { Project } from "../../core/projects.js";

export function toProjectResource(project: Project): ProjectResource {
  return {
    id: project.id,
    display_name: project.displayName,
    create_time: toRfc3339(project.createdAt),
    ...(project.retentionMs !== undefined ? { retention: `${project.retentionMs / 1000}s` } : {}),
  };
}
