import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  ApiKey,
  ApiKeyParams,
  CreateProjectRequest,
  Empty,
  ErrorResponses,
  IdParams,
  ListApiKeysQuery,
  ListApiKeysResponse,
  Project,
} from "@tidings/sdk/contract";
import { parsePageRequest } from "../../core/pages.js";
import type { Services } from "../../services/index.js";
import { authenticateAdmin } from "../auth.js";
import { toApiKeyResource, toProjectResource } from "../views/projects.js";

/** Admin calls: tenants and their API keys (DESIGN §2.7). */
export const projectRoutes: FastifyPluginAsyncTypebox<{ services: Services; adminKey: string | undefined }> = async (app, { services, adminKey }) => {
  const tags = ["admin"];
  app.addHook("onRequest", authenticateAdmin(adminKey));

  app.post("/projects", { schema: { tags, body: CreateProjectRequest, response: { 200: Project, ...ErrorResponses } } }, async (req) =>
    toProjectResource(await services.projects.create(req.body.display_name ?? "")),
  );

  app.post(
    "/projects/:id/apiKeys",
    { schema: { tags, summary: "Mint an API key for a project; shown once", params: IdParams, body: Empty, response: { 200: ApiKey, ...ErrorResponses } } },
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
        response: { 200: ListApiKeysResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const page = await services.projects.listApiKeys(req.params.id, parsePageRequest(req.query.page_size, req.query.page_token));
      return { api_keys: page.items.map(toApiKeyResource), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    },
  );

  app.delete(
    "/projects/:id/apiKeys/:key_id",
    {
      schema: {
        tags,
        summary: "Revoke an API key: refused from now on, by every process sharing the database",
        params: ApiKeyParams,
        response: { 200: Empty, ...ErrorResponses },
      },
    },
    async (req) => {
      await services.projects.revokeApiKey(req.params.id, req.params.key_id);
      return {};
    },
  );
};
