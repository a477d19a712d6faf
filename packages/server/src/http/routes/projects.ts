import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ApiKey, CreateProjectRequest, Empty, IdParams, Project, UpdateProjectQuery, UpdateProjectRequest } from "@tidings/sdk/contract";
import type { Services } from "../../services/index.js";
import { authenticateAdmin } from "../auth.js";
import { toProjectResource } from "../views/projects.js";
import { replies } from "./replies.js";

/** Admin calls: tenants and their API keys (DESIGN §2.7). */
export const projectRoutes: FastifyPluginAsyncTypebox<{ services: Services; adminKey: string | undefined }> = async (app, { services, adminKey }) => {
  const tags = ["admin"];
  app.addHook("onRequest", authenticateAdmin(adminKey));

  const idempotent = { idempotent: { scope: "admin" as const } };

  app.post("/projects", { schema: { tags, body: CreateProjectRequest, response: replies(Project) }, config: idempotent }, async (req) =>
    toProjectResource(await services.projects.create(req.body.display_name ?? "")),
  );

  app.patch(
    "/projects/:id",
    {
      schema: {
        tags,
        summary: "Set a project's retention: how long its finished records are kept",
        params: IdParams,
        querystring: UpdateProjectQuery,
        body: UpdateProjectRequest,
        response: replies(Project),
      },
    },
    async (req) => toProjectResource(await services.projects.update(req.params.id, req.body, req.query.update_mask)),
  );

  app.post(
    "/projects/:id/apiKeys",
    {
      schema: { tags, summary: "Mint an API key for a project; shown once", params: IdParams, body: Empty, response: replies(ApiKey) },
      // A retry gets the same key again rather than a second one.
      config: idempotent,
    },
    async (req) => ({ key: await services.projects.createApiKey(req.params.id), project_id: req.params.id }),
  );
};
