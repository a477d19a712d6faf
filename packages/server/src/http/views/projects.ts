import type { ApiKeyInfo as WireApiKeyInfo, Project as WireProject } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import type { ApiKeyInfo, Project } from "../../core/projects.js";

export function toProjectResource(project: Project): WireProject {
  return {
    id: project.id,
    display_name: project.displayName,
    create_time: toRfc3339(project.createdAt),
    ...(project.retentionMs !== undefined ? { retention: `${project.retentionMs / 1000}s` } : {}),
  };
}

export const toApiKeyResource = (k: ApiKeyInfo): WireApiKeyInfo => ({
  id: k.id,
  project_id: k.projectId,
  create_time: toRfc3339(k.createdAt),
  ...(k.lastUsedAt !== undefined ? { last_use_time: toRfc3339(k.lastUsedAt) } : {}),
  configured: k.configured,
});
