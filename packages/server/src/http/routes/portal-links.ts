import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  CreatedPortalLink,
  CreatePortalLinkRequest,
  ListPortalLinksQuery,
  ListPortalLinksResponse,
} from "@tidings/sdk/contract";
import type { Services } from "../../services/index.js";
import { toPortalLinkResource } from "../views/portal-links.js";
import { idAction } from "./id-action.js";
import { pageReply, requestedPage } from "./pages.js";
import { replies } from "./replies.js";

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
        response: replies(CreatedPortalLink),
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
        response: replies(ListPortalLinksResponse),
      },
    },
    async (req) =>
      pageReply(
        "portal_links",
        await services.portalLinks.list(req.projectId, requestedPage(req.query)),
        toPortalLinkResource,
      ),
  );

  idAction(
    app,
    "DELETE",
    "/portalLinks/:id",
    { tags, summary: "Revoke a link: it no longer opens, and the session it opened ends" },
    (projectId, id) => services.portalLinks.revoke(projectId, id),
  );
};
