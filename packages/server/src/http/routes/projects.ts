import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  ApiKey,
  ApiKeyParams,
  CreateProjectRequest,
  Empty,
  IdParams,
  ListApiKeysQuery,
  ListApiKeysResponse,
  Project,
  UpdateProjectQuery,
  UpdateProjectRequest,
} from "@tidings/sdk/contract";
import type { Services } from "../../services/index.js";
import { authenticateAdmin } from "../auth.js";
import { toApiKeyResource, toProjectResource } from "../views/projects.js";
import { pageReply, requestedPage } from "./pages.js";
import { replies } from "./replies.js";

/** Admin calls: tenants and their API keys (docs/wire.md: projects and API keys). */
export const projectRoutes: FastifyPluginAsyncTypebox<{ services: Services; adminKey: string | undefined }> = async (
  app,
  { services, adminKey },
) => {
  const tags = ["admin"];
  app.addHook("onRequest", authenticateAdmin(adminKey));

  const idempotent = { idempotent: { scope: "admin" as const } };

  app.post(
    "/projects",
    { schema: { tags, body: CreateProjectRequest, response: replies(Project) }, config: idempotent },
    async (req) => toProjectResource(await services.projects.create(req.body.display_name ?? "")),
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
      schema: {
        tags,
        summary: "Mint an API key for a project; shown once",
        params: IdParams,
        body: Empty,
        response: replies(ApiKey),
      },
      // A retry gets the same key again rather than a second one.
      config: idempotent,
    },
    async (req) => {
      const minted = await services.projects.createApiKey(req.params.id);
      return { key: minted.key, id: minted.id, project_id: minted.projectId };
    },
  );

  app.get(
    "/projects/:id/apiKeys",
    {
      schema: {
        tags,
        summary: "A project's API keys, oldest first: ids, creation and last use, never the keys",
        params: IdParams,
        querystring: ListApiKeysQuery,
        response: replies(ListApiKeysResponse),
      },
    },
    async (req) => {
      const page = await services.projects.listApiKeys(req.params.id, requestedPage(req.query));
      return pageReply("api_keys", page, toApiKeyResource);
    },
  );

  app.delete(
    "/projects/:id/apiKeys/:key_id",
    {
      schema: {
        tags,
        summary: "Revoke an API key: refused from now on, by every process sharing the database",
        params: ApiKeyParams,
        response: replies(Empty),
      },
    },
    async (req) => {
      await services.projects.revokeApiKey(req.params.id, req.params.key_id);
      return {};
    },
  );
};
