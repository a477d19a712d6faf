import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { EventType, EventTypeParams, ListEventTypesQuery, ListEventTypesResponse } from "@tidings/sdk/contract";
import { EVENT_TYPE_CATALOGUE, eventTypeEntry } from "../../core/event-catalogue.js";
import { notFound } from "../../core/errors.js";
import { toPage } from "../../core/pages.js";
import { nextPage, requestedPage } from "./pages.js";
import { replies } from "./replies.js";

/**
 * The event catalogue: every type Tidings sends, each with a description and the JSON Schema (draft 2020-12)
 * of its payload, from the same contract as @tidings/sdk's event types.
 */
export const eventTypeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ["event types"];

  app.get(
    "/eventTypes",
    {
      schema: {
        tags,
        summary: "Every event type Tidings sends, with the JSON Schema of its payload",
        querystring: ListEventTypesQuery,
        response: replies(ListEventTypesResponse),
      },
    },
    async (req) => {
      const request = requestedPage(req.query);
      const page = toPage(EVENT_TYPE_CATALOGUE.slice(request.offset, request.offset + request.pageSize + 1), request);
      return { event_types: page.items, ...nextPage(page) };
    },
  );

  app.get(
    "/eventTypes/:name",
    {
      schema: {
        tags,
        summary:
          "One event type: a built-in one, a custom family ({type}.succeeded) or a custom operation's (export.succeeded)",
        params: EventTypeParams,
        response: replies(EventType),
      },
    },
    async (req) => {
      const entry = eventTypeEntry(req.params.name);
      if (entry === undefined) throw notFound(`eventTypes/${req.params.name}`);
      return entry;
    },
  );
};
