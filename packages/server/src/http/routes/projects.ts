import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ApiKey, CreateProjectRequest, Empty, ErrorResponses, IdParams, Project } from "@tidings/sdk/contract";
import type { Services } from "../../services/index.js";
import { authenticateAdmin } from "../auth.js";
import { toProjectResource } from "../views/projects.js";

/** Admin calls: tenants and their API keys (DESIGN §2.7). */
export const projectRoutes: FastifyPluginAsyncTypebox<{ services: Services; adminKey: string | undefined }> = async (app, { services, adminKey }) => {
  const tags = ["admin"];
  app.addHook("onRequest", authenticateAdmin(adminKey));

  const idempotent = { idempotent: { scope: "admin" as const } };

  app.post("/projects", { schema: { tags, body: CreateProjectRequest, response: { 200: Project, ...ErrorResponses } }, config: idempotent }, async (req) =>
    toProjectResource(await services.projects.create(req.body.display_name ?? "")),
  );

  app.post(
    "/projects/:id/apiKeys",
    {
      schema: { tags, summary: "Mint an API key for a project; shown once", params: IdParams, body: Empty, response: { 200: ApiKey, ...ErrorResponses } },
      // A retry gets the same key again rather than a second one.
      config: idempotent,
    },
    async (req) => ({ key: await services.projects.createApiKey(req.params.id), project_id: req.params.id }),
  );
};
