import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  GenerateContentRequest,
  GenerateContentResponse,
  ListModelsQuery,
  ListModelsResponse,
  Model,
  ModelParams,
} from "@tidings/sdk/contract";
import type { ModelService } from "../../services/models.js";
import { untilHangUp } from "../hang-up.js";
import { customMethod } from "./verb.js";
import { pageReplyCamel, requestedPageCamel } from "./pages.js";
import { replies } from "./replies.js";

interface Deps {
  models: ModelService;
}

/** Gemini-compatible models surface (docs/wire.md: models): sync generation through the configured provider. */
export const modelRoutes: FastifyPluginAsyncTypebox<Deps> = async (app, { models }) => {
  const tags = ["models"];
  const model = (id: string): Model => ({
    name: `models/${id}`,
    baseModelId: id,
    version: "001",
    displayName: id,
    description: `Served by Tidings through its ${models.providerName} provider`,
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
        response: replies(ListModelsResponse),
      },
    },
    async (req) => pageReplyCamel("models", models.list(requestedPageCamel(req.query)), model),
  );

  app.get("/models/:id(^[^:/]+)", { schema: { tags, params: ModelParams, response: replies(Model) } }, async (req) =>
    model(req.params.id),
  );

  app.post(
    customMethod("models", "generateContent"),
    {
      schema: {
        tags,
        summary: "Generate a reply now, through the configured provider (retries 429 and 5xx)",
        params: ModelParams,
        body: GenerateContentRequest,
        response: replies(GenerateContentResponse),
      },
    },
    // A caller that hangs up should not keep an upstream model busy, nor its retries going.
    async (req, reply) => untilHangUp(reply, (signal) => models.generate(req.params.id, req.body, signal)),
  );
};
