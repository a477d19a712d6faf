import type { FastifyPluginAsync } from "fastify";
import { parsePageRequest } from "../../core/pages.js";
import type { Services } from "../../services/index.js";
import { toDeliveryResource, toEventResource } from "../views.js";
import { errorResponses, eventSchema, idParam, pageQuery } from "../schemas.js";
import { customMethod } from "./verb.js";

/** The events log and redelivery (DESIGN §2.2). */
export const eventRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const tags = ["events"];

  app.get<{ Querystring: { type?: string; operation?: string; page_size?: number; page_token?: string } }>(
    "/events",
    { schema: { tags, querystring: { type: "object", properties: { type: { type: "string" }, operation: { type: "string" }, ...pageQuery } }, response: { 200: { type: "object", properties: { events: { type: "array", items: eventSchema }, next_page_token: { type: "string" } } }, ...errorResponses } } },
    async (req) => {
      const page = await services.events.list(
        req.projectId,
        { type: req.query.type || undefined, operation: req.query.operation || undefined },
        parsePageRequest(req.query.page_size, req.query.page_token),
      );
      return { events: page.items.map(toEventResource), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/events/:id",
    { schema: { tags, summary: "An event with its deliveries and their attempts", params: idParam, response: { 200: eventSchema, ...errorResponses } } },
    async (req) => {
      const { event, deliveries } = await services.events.get(req.projectId, req.params.id);
      return { ...toEventResource(event), deliveries: deliveries.map(toDeliveryResource) };
    },
  );

  app.post<{ Params: { id: string }; Body: { webhook_id?: string } | undefined }>(
    customMethod("events", "redeliver"),
    { schema: { tags, summary: "Send the same event again (same webhook-id)", params: idParam, body: { type: "object", properties: { webhook_id: { type: "string" } } }, response: { 200: { type: "object", properties: { delivery_count: { type: "integer" } } }, ...errorResponses } } },
    async (req) => ({ delivery_count: await services.events.redeliver(req.projectId, req.params.id, req.body?.webhook_id) }),
  );
};
