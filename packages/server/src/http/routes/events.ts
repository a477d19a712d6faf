import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  ErrorResponses,
  EventRecord,
  IdParams,
  ListEventsQuery,
  ListEventsResponse,
  RedeliverEventRequest,
  RedeliverEventResponse,
} from "@tidings/sdk/contract";
import { parsePageRequest } from "../../core/pages.js";
import type { Services } from "../../services/index.js";
import { toDeliveryResource, toEventResource } from "../views/events.js";
import { customMethod } from "./verb.js";

/** The events log and redelivery (DESIGN §2.2). */
export const eventRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ["events"];

  app.get("/events", { schema: { tags, querystring: ListEventsQuery, response: { 200: ListEventsResponse, ...ErrorResponses } } }, async (req) => {
    const page = await services.events.list(
      req.projectId,
      { type: req.query.type || undefined, operation: req.query.operation || undefined },
      parsePageRequest(req.query.page_size, req.query.page_token),
    );
    return { events: page.items.map(toEventResource), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  });

  app.get(
    "/events/:id",
    { schema: { tags, summary: "An event with its deliveries and their attempts", params: IdParams, response: { 200: EventRecord, ...ErrorResponses } } },
    async (req) => {
      const { event, deliveries } = await services.events.get(req.projectId, req.params.id);
      return { ...toEventResource(event), deliveries: deliveries.map(toDeliveryResource) };
    },
  );

  app.post(
    customMethod("events", "redeliver"),
    {
      schema: {
        tags,
        summary: "Send the same event again (same webhook-id)",
        params: IdParams,
        body: RedeliverEventRequest,
        response: { 200: RedeliverEventResponse, ...ErrorResponses },
      },
    },
    async (req) => ({ delivery_count: await services.events.redeliver(req.projectId, req.params.id, req.body) }),
  );
};
