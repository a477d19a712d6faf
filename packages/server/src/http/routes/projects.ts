import type { FastifyPluginAsync } from "fastify";
import { toRfc3339 } from "../../core/clock.js";
import type { Services } from "../../services/index.js";
import { authenticateAdmin } from "../auth.js";
import { errorResponses, idParam } from "../schemas.js";

const projectSchema = {
  type: "object",
  properties: { id: { type: "string" }, display_name: { type: "string" }, create_time: { type: "string", format: "date-time" } },
} as const;

/** Admin calls: tenants and their API keys (DESIGN §2.7). */
export const projectRoutes: FastifyPluginAsync<{ services: Services; adminKey: string | undefined }> = async (app, { services, adminKey }) => {
  const tags = ["admin"];
  app.addHook("onRequest", authenticateAdmin(adminKey));

  app.post<{ Body: { display_name?: string } | undefined }>(
    "/projects",
    { schema: { tags, body: { type: "object", properties: { display_name: { type: "string", maxLength: 256 } } }, response: { 200: projectSchema, ...errorResponses } } },
    async (req) => {
      const project = await services.projects.create(req.body?.display_name ?? "");
      return { id: project.id, display_name: project.displayName, create_time: toRfc3339(project.createdAt) };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/projects/:id/apiKeys",
    { schema: { tags, summary: "Mint an API key for a project; shown once", params: idParam, response: { 200: { type: "object", properties: { key: { type: "string" }, project_id: { type: "string" } } }, ...errorResponses } } },
    async (req) => ({ key: await services.projects.createApiKey(req.params.id), project_id: req.params.id }),
  );
};
