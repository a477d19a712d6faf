import type { FastifyPluginAsync } from "fastify";
import { parsePageRequest } from "../../core/pages.js";
import { toBatchOperation, type BatchInput, type BatchService } from "../../services/batches.js";
import type { Batch } from "../../core/batches.js";
import { anyObject, errorResponses, idParam, operationSchema } from "../schemas.js";
import { customMethod } from "./verb.js";

/** Gemini's Batch API: `models/{model}:batchGenerateContent` and `batches/*` (DESIGN §2.3). */
export const batchRoutes: FastifyPluginAsync<{ batches: BatchService }> = async (app, { batches }) => {
  const tags = ["batches"];
  const ok = { 200: operationSchema, ...errorResponses };
  // Inline batches answer with their responses inline, as Gemini does.
  const view = async (batch: Batch) => toBatchOperation(batch, batch.inputFile === undefined && batch.state === "BATCH_STATE_SUCCEEDED" ? await batches.lines(batch) : undefined);

  app.post<{ Params: { id: string }; Body: BatchInput }>(
    customMethod("models", "batchGenerateContent"),
    {
      schema: {
        tags,
        summary: "Start a batch from inline requests or an uploaded JSONL file; batch.* events announce its end",
        params: idParam,
        body: {
          type: "object",
          properties: {
            batch: {
              type: "object",
              properties: {
                displayName: { type: "string" },
                inputConfig: { type: "object", properties: { fileName: { type: "string" }, requests: anyObject } },
                webhookConfig: { type: "object", properties: { uris: { type: "array", items: { type: "string" } }, userMetadata: anyObject } },
                ttl: { type: "string", description: 'Tidings extension: deadline as a duration, e.g. "3600s" (default 48 h)' },
              },
            },
          },
          required: ["batch"],
        },
        response: ok,
      },
      // Inline batches can be large.
      bodyLimit: 64 * 1024 * 1024,
    },
    async (req) => toBatchOperation(await batches.create(req.projectId, req.params.id, req.body)),
  );

  app.get<{ Querystring: { pageSize?: number; pageToken?: string } }>(
    "/batches",
    { schema: { tags, querystring: { type: "object", properties: { pageSize: { type: "integer", minimum: 0, maximum: 1000 }, pageToken: { type: "string" } } }, response: { 200: { type: "object", properties: { operations: { type: "array", items: operationSchema }, nextPageToken: { type: "string" } } }, ...errorResponses } } },
    async (req) => {
      const page = await batches.list(req.projectId, parsePageRequest(req.query.pageSize, req.query.pageToken));
      return { operations: page.items.map((b) => toBatchOperation(b)), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>("/batches/:id", { schema: { tags, params: idParam, response: ok } }, async (req) =>
    view(await batches.get(req.projectId, req.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    customMethod("batches", "cancel"),
    { schema: { tags, summary: "Cancel; sends batch.cancelled and stops calling the model", params: idParam, response: { 200: anyObject, ...errorResponses } } },
    async (req) => {
      await batches.cancel(req.projectId, req.params.id);
      return {};
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/batches/:id",
    { schema: { tags, params: idParam, response: { 200: anyObject, ...errorResponses } } },
    async (req) => {
      await batches.delete(req.projectId, req.params.id);
      return {};
    },
  );
};
