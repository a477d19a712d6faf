import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  CreatedPortalLink,
  CreatePortalLinkRequest,
  Empty,
  ErrorResponses,
  IdParams,
  ListPortalLinksQuery,
  ListPortalLinksResponse,
} from "@tidings/sdk/contract";
import { parsePageRequest } from "../../core/pages.js";
import type { Services } from "../../services/index.js";
import { toPortalLinkResource } from "../views/portal-links.js";

/** Portal links: single-use links into this project's dashboard, listed and revocable. */
export const portalLinkRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ["portal links"];

  app.post(
    "/portalLinks",
    {
      schema: {
        tags,
        summary:
          "A single-use link that signs a browser into this project's dashboard until it expires, without the API key",
        body: CreatePortalLinkRequest,
        response: { 200: CreatedPortalLink, ...ErrorResponses },
      },
    },
    async (req) => {
      const { link, url } = await services.portalLinks.create(req.projectId, req.body);
      return { ...toPortalLinkResource(link), url };
    },
  );

  app.get(
    "/portalLinks",
    {
      schema: {
        tags,
        summary: "This project's links that have not expired",
        querystring: ListPortalLinksQuery,
        response: { 200: ListPortalLinksResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const page = await services.portalLinks.list(
        req.projectId,
        parsePageRequest(req.query.page_size, req.query.page_token),
      );
      return {
        portal_links: page.items.map(toPortalLinkResource),
        ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}),
      };
    },
  );

  app.delete(
    "/portalLinks/:id",
    {
      schema: {
        tags,
        summary: "Revoke a link: it no longer opens, and the session it opened ends",
        params: IdParams,
        response: { 200: Empty, ...ErrorResponses },
      },
    },
    async (req) => {
      await services.portalLinks.revoke(req.projectId, req.params.id);
      return {};
    },
  );
};
