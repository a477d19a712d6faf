import type { FastifyPluginAsync } from "fastify";
import { invalidArgument } from "../../core/errors.js";
import { parsePageRequest } from "../../core/pages.js";
import { REVOCATION_BEHAVIORS, toWebhookResource, type RevocationBehavior } from "../../core/webhooks.js";
import { parseDeliveryState } from "../../services/events.js";
import type { Services } from "../../services/index.js";
import type { WebhookInput } from "../../services/webhooks.js";
import type { Clock } from "../../core/clock.js";
import { toDeliveryResource } from "../views.js";
import { anyObject, errorResponses, idParam, pageQuery, webhookInput, webhookSchema } from "../schemas.js";
import { customMethod } from "./verb.js";

interface Deps {
  services: Services;
  clock: Clock;
}

/** Static webhooks, wire-compatible with `ai.webhooks.*` of @google/genai (DESIGN §2.1). */
export const webhookRoutes: FastifyPluginAsync<Deps> = async (app, { services, clock }) => {
  const tags = ["webhooks"];
  const view = (w: Parameters<typeof toWebhookResource>[0]) => toWebhookResource(w, clock.now());

  app.post<{ Body: WebhookInput }>(
    "/webhooks",
    { schema: { tags, summary: "Register a webhook; the reply is the only time its secret is shown", body: webhookInput, response: { 200: webhookSchema, ...errorResponses } } },
    async (req) => {
      const { webhook, secret } = await services.webhooks.create(req.projectId, req.body ?? {});
      return { ...view(webhook), new_signing_secret: secret };
    },
  );

  app.get<{ Querystring: { page_size?: number; page_token?: string } }>(
    "/webhooks",
    { schema: { tags, querystring: { type: "object", properties: pageQuery }, response: { 200: { type: "object", properties: { webhooks: { type: "array", items: webhookSchema }, next_page_token: { type: "string" } } }, ...errorResponses } } },
    async (req) => {
      const page = await services.webhooks.list(req.projectId, parsePageRequest(req.query.page_size, req.query.page_token));
      return { webhooks: page.items.map(view), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/webhooks/:id",
    { schema: { tags, params: idParam, response: { 200: webhookSchema, ...errorResponses } } },
    async (req) => view(await services.webhooks.get(req.projectId, req.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: WebhookInput; Querystring: { update_mask?: string; updateMask?: string } }>(
    "/webhooks/:id",
    { schema: { tags, params: idParam, body: webhookInput, querystring: { type: "object", properties: { update_mask: { type: "string" }, updateMask: { type: "string" } } }, response: { 200: webhookSchema, ...errorResponses } } },
    async (req) => view(await services.webhooks.update(req.projectId, req.params.id, req.body ?? {}, req.query.update_mask ?? req.query.updateMask)),
  );

  app.delete<{ Params: { id: string } }>(
    "/webhooks/:id",
    { schema: { tags, params: idParam, response: { 200: anyObject, ...errorResponses } } },
    async (req) => {
      await services.webhooks.delete(req.projectId, req.params.id);
      return {};
    },
  );

  app.post<{ Params: { id: string } }>(
    customMethod("webhooks", "ping"),
    { schema: { tags, summary: "Send a webhook.ping event to this webhook alone", params: idParam, response: { 200: anyObject, ...errorResponses } } },
    async (req) => {
      await services.webhooks.ping(req.projectId, req.params.id);
      return {};
    },
  );

  app.post<{ Params: { id: string }; Body: { revocation_behavior?: string } | undefined }>(
    customMethod("webhooks", "rotateSigningSecret"),
    {
      schema: {
        tags,
        summary: "Make a new signing secret; old ones sign for 24 h more or stop at once",
        params: idParam,
        body: { type: "object", properties: { revocation_behavior: { type: "string", enum: [...REVOCATION_BEHAVIORS, "REVOCATION_BEHAVIOR_UNSPECIFIED"] } } },
        response: { 200: { type: "object", properties: { secret: { type: "string" } } }, ...errorResponses },
      },
    },
    async (req) => {
      const requested = req.body?.revocation_behavior;
      const behavior: RevocationBehavior =
        requested === undefined || requested === "REVOCATION_BEHAVIOR_UNSPECIFIED" ? "revoke_previous_secrets_after_h24" : (requested as RevocationBehavior);
      return { secret: await services.webhooks.rotateSecret(req.projectId, req.params.id, behavior) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { state?: string; page_size?: number; page_token?: string } }>(
    "/webhooks/:id/deliveries",
    { schema: { tags, summary: "This webhook's deliveries with their attempts", params: idParam, querystring: { type: "object", properties: { state: { type: "string" }, ...pageQuery } }, response: { 200: { type: "object", properties: { deliveries: { type: "array", items: anyObject }, next_page_token: { type: "string" } } }, ...errorResponses } } },
    async (req) => {
      await services.webhooks.get(req.projectId, req.params.id);
      const page = await services.events.deliveries(
        req.projectId,
        { webhookId: req.params.id, state: parseDeliveryState(req.query.state) },
        parsePageRequest(req.query.page_size, req.query.page_token),
      );
      return { deliveries: page.items.map(toDeliveryResource), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
    },
  );

  app.post<{ Params: { id: string }; Body: { since?: string; until?: string } }>(
    customMethod("webhooks", "recover"),
    { schema: { tags, summary: "Re-queue this webhook's failed deliveries created in [since, until)", params: idParam, body: { type: "object", properties: { since: { type: "string" }, until: { type: "string" } }, required: ["since"] }, response: { 200: { type: "object", properties: { recovered_count: { type: "integer" } } }, ...errorResponses } } },
    async (req) => {
      const since = parseTime(req.body.since, "since");
      const until = req.body.until === undefined ? clock.now() + 1 : parseTime(req.body.until, "until");
      return { recovered_count: await services.webhooks.recover(req.projectId, req.params.id, since, until) };
    },
  );
};

function parseTime(value: string | undefined, field: string): number {
  const at = value === undefined ? NaN : Date.parse(value);
  if (Number.isNaN(at)) throw invalidArgument(field, 'must be an RFC 3339 timestamp such as "2026-05-04T12:00:00Z"');
  return at;
}
