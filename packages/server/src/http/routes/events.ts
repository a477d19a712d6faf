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
import type { EventBus } from "../../services/event-bus.js";
import type { Services } from "../../services/index.js";
import { eventStreamer } from "../../web/event-stream.js";
import { toDeliveryResource, toEventResource } from "../views/events.js";
import { pageReply, requestedPage } from "./pages.js";
import { replies } from "./replies.js";
import { customMethod } from "./verb.js";

/** The events log and redelivery (docs/wire.md: events), and the stream of events as they commit. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ services: Services; bus: EventBus }> = async (
  app,
  { services, bus },
) => {
  const tags = ["events"];

  app.get(
    "/events",
    { schema: { tags, querystring: ListEventsQuery, response: replies(ListEventsResponse) } },
    async (req) => {
      const filter = { type: req.query.type || undefined, operation: req.query.operation || undefined };
      return pageReply(
        "events",
        await services.events.list(req.projectId, filter, requestedPage(req.query)),
        toEventResource,
      );
    },
  );

  app.get(
    "/events/:id",
    {
      schema: {
        tags,
        summary: "An event with its deliveries and their attempts",
        params: IdParams,
        response: replies(EventRecord),
      },
    },
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
        response: replies(RedeliverEventResponse),
      },
    },
    async (req) => ({ delivery_count: await services.events.redeliver(req.projectId, req.params.id, req.body) }),
  );

  // Server-Sent Events of the project's events as they commit: what `tidings listen` forwards to localhost.
  const stream = eventStreamer(app, bus);
  app.get(
    "/events::stream",
    {
      schema: {
        tags,
        summary: "Stream the project's events as Server-Sent Events (text/event-stream)",
        response: ErrorResponses,
      },
    },
    async (req, reply) => stream(req.projectId, reply, { named: true }),
  );
};
