import type { ApiKeyInfo as WireApiKeyInfo, Project as WireProject } from "@tidings/sdk/contract";
import { toRfc3339 } from "../../core/clock.js";
import type { ApiKeyInfo, Project } from "../../core/projects.js";

export const toProjectResource = (p: Project): WireProject => ({ id: p.id, display_name: p.displayName, create_time: toRfc3339(p.createdAt) });

export const toApiKeyResource = (k: ApiKeyInfo): WireApiKeyInfo => ({
  id: k.id,
  project_id: k.projectId,
  create_time: toRfc3339(k.createdAt),
  ...(k.lastUsedAt !== undefined ? { last_use_time: toRfc3339(k.lastUsedAt) } : {}),
  configured: k.configured,
});
