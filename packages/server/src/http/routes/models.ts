import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  ErrorResponses,
  GenerateContentRequest,
  GenerateContentResponse,
  ListModelsQuery,
  ListModelsResponse,
  Model,
  ModelParams,
} from "@tidings/sdk/contract";
import { parsePageRequest, toPage } from "../../core/pages.js";
import { generateWithRetry } from "../../providers/retry.js";
import { parseGenerateContentRequest } from "../../providers/request.js";
import { ProviderError, type Provider } from "../../providers/provider.js";
import { providerStatus } from "../status.js";
import { customMethod } from "./verb.js";

interface Deps {
  provider: Provider;
}

/** Names `GET /v1/models` lists; any other name works just as well, since providers serve whatever they get. */
const LISTED_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"];

/** Gemini-compatible models surface (DESIGN §2.3): sync generation through the configured provider. */
export const modelRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, { provider }) => {
  const tags = ["models"];
  const model = (id: string): Model => ({
    name: `models/${id}`,
    baseModelId: id,
    version: "001",
    displayName: id,
    description: `Served by Tidings through its ${provider.name} provider`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ["generateContent", "batchGenerateContent"],
  });

  app.get(
    "/models",
    {
      schema: {
        tags,
        summary: "Some model names; every provider serves any name it is given",
        querystring: ListModelsQuery,
        response: { 200: ListModelsResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const request = parsePageRequest(req.query.pageSize, req.query.pageToken);
      const page = toPage(LISTED_MODELS.slice(request.offset, request.offset + request.pageSize + 1), request);
      return { models: page.items.map(model), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
  );

  app.get("/models/:id(^[^:/]+)", { schema: { tags, params: ModelParams, response: { 200: Model, ...ErrorResponses } } }, async (req) => model(req.params.id));

  app.post(
    customMethod("models", "generateContent"),
    {
      schema: {
        tags,
        summary: "Generate a reply now, through the configured provider (retries 429 and 5xx)",
        params: ModelParams,
        body: GenerateContentRequest,
        response: { 200: GenerateContentResponse, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      // The schema has the names and types; this checks what needs code (one kind per Part, value ranges).
      const request = parseGenerateContentRequest(req.body);
      // A caller that hangs up should not keep an upstream model busy, nor its retries going.
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableEnded) abort.abort();
      };
      reply.raw.once("close", onClose);
      try {
        return await generateWithRetry(provider, req.params.id, request, { signal: abort.signal });
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        if (err.retryAfterMs !== undefined) reply.header("retry-after", String(Math.ceil(err.retryAfterMs / 1000)));
        return reply.code(err.status).send(providerStatus(err));
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );
};
