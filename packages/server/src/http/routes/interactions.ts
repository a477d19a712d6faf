import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { CreateInteractionRequest, Empty, GetInteractionQuery, IdParams, Interaction } from "@tidings/sdk/contract";
import { invalidArgument } from "../../core/errors.js";
import type { Interaction as StoredInteraction } from "../../core/interactions.js";
import { failureStatus } from "../../providers/failure-status.js";
import { ProviderError } from "../../providers/provider.js";
import type { InteractionService } from "../../services/interactions.js";
import { untilHangUp } from "../hang-up.js";
import { readInteractionInput } from "../interaction-input.js";
import { InteractionEventStream } from "../interaction-stream.js";
import { toInteractionResource } from "../views/interactions.js";
import { idAction } from "./id-action.js";
import { replies } from "./replies.js";

/**
 * Gemini's Interactions API (docs/wire.md: interactions, docs/wire/interactions.md): create (JSON, or Server-Sent
 * Events with
 * `stream: true`), get (also as a stream), cancel (a sub-path, `/{id}/cancel`) and delete. A state conflict
 * is a 400, never a 409, which the clients would retry.
 */
export const interactionRoutes: FastifyPluginAsyncTypebox<{ interactions: InteractionService }> = async (
  app,
  { interactions },
) => {
  const tags = ["interactions"];
  const ok = replies(Interaction);

  app.post(
    "/interactions",
    {
      schema: {
        tags,
        summary:
          "Run a model turn or an agent; background ones run after the reply and announce their end (interaction.* events)",
        body: CreateInteractionRequest,
        response: ok,
      },
      // A streamed answer is not kept to be replayed: a retry of one runs again.
      config: {
        idempotent: { scope: "project", appliesTo: (req) => (req.body as { stream?: boolean }).stream !== true },
      },
    },
    async (req, reply) => {
      const { input: rawInput, stream, ...request } = req.body;
      const input = readInteractionInput(rawInput);
      return untilHangUp(reply, async (signal) => {
        if (stream !== true)
          return toInteractionResource(await interactions.create(req.projectId, { request, input }, { signal }));
        const events = new InteractionEventStream(reply);
        if (request.background === true) {
          const created = await interactions.create(req.projectId, { request, input });
          await follow(interactions, req.projectId, created.id, events, signal);
          return reply;
        }
        try {
          const ended = await interactions.create(
            req.projectId,
            { request, input },
            { signal, onProgress: (interaction) => events.update(interaction) },
          );
          events.end(ended);
        } catch (err) {
          // Before the first event the reply is still a plain JSON error.
          if (!events.started) throw err;
          const { error } = failureStatus(err);
          events.fail(error.status, error.message);
          if (!(err instanceof ProviderError)) req.log.error({ err }, "streamed interaction failed");
        }
        return reply;
      });
    },
  );

  app.get(
    "/interactions/:id",
    {
      schema: {
        tags,
        summary: "The interaction; with ?stream=true, Server-Sent Events until it stops",
        params: IdParams,
        querystring: GetInteractionQuery,
        response: ok,
      },
    },
    async (req, reply) => {
      const interaction = await interactions.get(req.projectId, req.params.id);
      if (req.query.stream !== true) return toInteractionResource(interaction);
      const after = req.query.last_event_id;
      if (after !== undefined && !/^evt_\d+$/.test(after))
        throw invalidArgument("last_event_id", `"${after}" is not an event_id this server sent (evt_N)`);
      await untilHangUp(reply, (signal) =>
        follow(interactions, req.projectId, interaction.id, new InteractionEventStream(reply, after), signal),
      );
      return reply;
    },
  );

  app.post(
    "/interactions/:id/cancel",
    {
      schema: {
        tags,
        summary: "Cancel one in progress or requiring action; sends interaction.cancelled",
        params: IdParams,
        body: Empty,
        response: ok,
      },
    },
    async (req) => toInteractionResource(await interactions.cancel(req.projectId, req.params.id)),
  );

  idAction(
    app,
    "DELETE",
    "/interactions/:id",
    { tags, summary: "Delete it (one still open is cancelled first)" },
    (projectId, id) => interactions.delete(projectId, id),
  );
};

/** Streams a stored interaction from its start until it stops: requires_action, or an end. */
async function follow(
  interactions: InteractionService,
  projectId: string,
  id: string,
  events: InteractionEventStream,
  signal: AbortSignal,
): Promise<void> {
  let last: StoredInteraction | undefined;
  for await (const interaction of interactions.follow(projectId, id, signal)) {
    events.update(interaction);
    last = interaction;
  }
  if (last !== undefined && !events.closed) events.end(last);
}
