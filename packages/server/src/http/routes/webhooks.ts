import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  CreatedWebhook,
  CreateWebhookRequest,
  IdParams,
  ListDeliveriesQuery,
  ListDeliveriesResponse,
  ListWebhooksQuery,
  ListWebhooksResponse,
  RecoverDeliveriesRequest,
  RecoverDeliveriesResponse,
  RotateSigningSecretRequest,
  RotateSigningSecretResponse,
  UpdateWebhookQuery,
  UpdateWebhookRequest,
  Webhook,
} from "@tidings/sdk/contract";
import type { Clock } from "../../core/clock.js";
import type { Webhook as StoredWebhook } from "../../core/webhooks.js";
import type { Services } from "../../services/index.js";
import { toDeliveryResource } from "../views/events.js";
import { toWebhookResource } from "../views/webhooks.js";
import { idAction } from "./id-action.js";
import { pageReply, requestedPage } from "./pages.js";
import { replies } from "./replies.js";
import { customMethod } from "./verb.js";

interface Deps {
  services: Services;
  clock: Clock;
}

/** Static webhooks, wire-compatible with `ai.webhooks.*` of @google/genai (docs/wire.md: webhooks). */
export const webhookRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, { services, clock }) => {
  const tags = ["webhooks"];
  const view = (w: StoredWebhook) => toWebhookResource(w, clock.now());

  app.post(
    "/webhooks",
    {
      schema: {
        tags,
        summary:
          "Register a webhook; the reply is the only time a v1 secret is shown (v1a: its public key, always shown)",
        body: CreateWebhookRequest,
        response: replies(CreatedWebhook),
      },
      // A retry gets the first answer again, its one-time secret included: the first answer may be what was lost.
      config: { idempotent: { scope: "project" } },
    },
    async (req) => {
      const { webhook, credential } = await services.webhooks.create(req.projectId, req.body);
      // A v1a webhook's public key is in the view already; only a v1 secret is shown here, once.
      return { ...view(webhook), ...("secret" in credential ? { new_signing_secret: credential.secret } : {}) };
    },
  );

  app.get(
    "/webhooks",
    { schema: { tags, querystring: ListWebhooksQuery, response: replies(ListWebhooksResponse) } },
    async (req) => pageReply("webhooks", await services.webhooks.list(req.projectId, requestedPage(req.query)), view),
  );

  app.get("/webhooks/:id", { schema: { tags, params: IdParams, response: replies(Webhook) } }, async (req) =>
    view(await services.webhooks.get(req.projectId, req.params.id)),
  );

  app.patch(
    "/webhooks/:id",
    {
      schema: {
        tags,
        params: IdParams,
        querystring: UpdateWebhookQuery,
        body: UpdateWebhookRequest,
        response: replies(Webhook),
      },
    },
    async (req) => view(await services.webhooks.update(req.projectId, req.params.id, req.body, req.query.update_mask)),
  );

  idAction(app, "DELETE", "/webhooks/:id", { tags }, (projectId, id) => services.webhooks.delete(projectId, id));

  idAction(
    app,
    "POST",
    customMethod("webhooks", "ping"),
    { tags, summary: "Send a webhook.ping event to this webhook alone" },
    (projectId, id) => services.webhooks.ping(projectId, id),
  );

  app.post(
    customMethod("webhooks", "rotateSigningSecret"),
    {
      schema: {
        tags,
        summary: "Make a new signing secret (v1a: key pair); old ones sign for 24 h more or stop at once",
        params: IdParams,
        body: RotateSigningSecretRequest,
        response: replies(RotateSigningSecretResponse),
      },
    },
    async (req) => {
      const requested = req.body.revocation_behavior;
      const behavior =
        requested === undefined || requested === "REVOCATION_BEHAVIOR_UNSPECIFIED"
          ? "revoke_previous_secrets_after_h24"
          : requested;
      const credential = await services.webhooks.rotateSecret(req.projectId, req.params.id, behavior);
      return "secret" in credential ? { secret: credential.secret } : { public_key: credential.publicKey };
    },
  );

  app.get(
    "/webhooks/:id/deliveries",
    {
      schema: {
        tags,
        summary: "This webhook's deliveries with their attempts",
        params: IdParams,
        querystring: ListDeliveriesQuery,
        response: replies(ListDeliveriesResponse),
      },
    },
    async (req) => {
      await services.webhooks.get(req.projectId, req.params.id);
      const page = await services.events.deliveries(
        req.projectId,
        { webhookId: req.params.id, state: req.query.state, newestFirst: req.query.order_by === "create_time desc" },
        requestedPage(req.query),
      );
      return pageReply("deliveries", page, toDeliveryResource);
    },
  );

  app.post(
    customMethod("webhooks", "recover"),
    {
      schema: {
        tags,
        summary: "Re-queue this webhook's failed deliveries created in [since, until)",
        params: IdParams,
        body: RecoverDeliveriesRequest,
        response: replies(RecoverDeliveriesResponse),
      },
    },
    async (req) => ({ recovered_count: await services.webhooks.recover(req.projectId, req.params.id, req.body) }),
  );
};
