import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Empty, IdParams } from "@tidings/sdk/contract";
import type { FastifyRequest } from "fastify";
import { replies } from "./replies.js";

/**
 * Registers a route that does `act` to the resource `{id}` names in the caller's project and answers `{}`:
 * a DELETE of the resource, or a custom method (`POST …:{verb}`, a cancel, a ping) with an empty body.
 */
export function idAction(
  app: Parameters<FastifyPluginAsyncTypebox>[0],
  method: "DELETE" | "POST",
  url: string,
  { tags, summary }: { tags: string[]; summary?: string },
  act: (projectId: string, id: string) => Promise<unknown>,
): void {
  app.route({
    method,
    url,
    schema: {
      tags,
      ...(summary !== undefined ? { summary } : {}),
      params: IdParams,
      ...(method === "POST" ? { body: Empty } : {}),
      response: replies(Empty),
    },
    handler: async (req: FastifyRequest<{ Params: IdParams }>) => {
      await act(req.projectId, req.params.id);
      return {};
    },
  });
}
