import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  BatchGenerateContentRequest,
  BatchOperation,
  IdParams,
  ListBatchesQuery,
  ListBatchesResponse,
  ModelParams,
} from "@tidings/sdk/contract";
import type { Batch } from "../../core/batches.js";
import type { BatchService } from "../../services/batches.js";
import { untilHangUp } from "../hang-up.js";
import { toBatchOperation } from "../views/batches.js";
import { idAction } from "./id-action.js";
import { pageReplyCamel, requestedPageCamel } from "./pages.js";
import { replies } from "./replies.js";
import { customMethod } from "./verb.js";

/** Gemini's Batch API: `models/{model}:batchGenerateContent` and `batches/*` (docs/wire.md: batches). */
export const batchRoutes: FastifyPluginAsyncTypebox<{ batches: BatchService }> = async (app, { batches }) => {
  const tags = ["batches"];
  const ok = replies(BatchOperation);
  // Inline batches answer with their responses inline, as Gemini does.
  const view = async (batch: Batch) =>
    toBatchOperation(
      batch,
      batch.inputFile === undefined && batch.state === "BATCH_STATE_SUCCEEDED" ? await batches.lines(batch) : undefined,
    );

  app.post(
    customMethod("models", "batchGenerateContent"),
    {
      schema: {
        tags,
        summary: "Start a batch from inline requests or an uploaded JSONL file; batch.* events announce its end",
        params: ModelParams,
        body: BatchGenerateContentRequest,
        response: ok,
      },
      // Inline batches can be large.
      bodyLimit: 64 * 1024 * 1024,
      config: { idempotent: { scope: "project" } },
    },
    // A caller that hangs up while its file is read never learns the batch's name: it is not created.
    async (req, reply) =>
      toBatchOperation(
        await untilHangUp(reply, (signal) => batches.create(req.projectId, req.params.id, req.body, signal)),
      ),
  );

  app.get(
    "/batches",
    { schema: { tags, querystring: ListBatchesQuery, response: replies(ListBatchesResponse) } },
    async (req) =>
      pageReplyCamel("operations", await batches.list(req.projectId, requestedPageCamel(req.query)), (b) =>
        toBatchOperation(b),
      ),
  );

  app.get("/batches/:id", { schema: { tags, params: IdParams, response: ok } }, async (req) =>
    view(await batches.get(req.projectId, req.params.id)),
  );

  idAction(
    app,
    "POST",
    customMethod("batches", "cancel"),
    { tags, summary: "Cancel; sends batch.cancelled and stops calling the model" },
    (projectId, id) => batches.cancel(projectId, id),
  );

  idAction(app, "DELETE", "/batches/:id", { tags }, (projectId, id) => batches.delete(projectId, id));
};
