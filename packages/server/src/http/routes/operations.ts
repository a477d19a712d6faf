import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  CompleteOperationRequest,
  CreateOperationRequest,
  Empty,
  FailOperationRequest,
  IdParams,
  ListOperationsQuery,
  ListOperationsResponse,
  Operation,
} from "@tidings/sdk/contract";
import type { Services } from "../../services/index.js";
import { toBatchOperation } from "../views/batches.js";
import { toLongRunningOperation } from "../views/operations.js";
import { toVideoOperation } from "../views/videos.js";
import { idAction } from "./id-action.js";
import { pageReplyCamel, requestedPage } from "./pages.js";
import { replies } from "./replies.js";
import { customMethod } from "./verb.js";

/**
 * The polling surface (google.longrunning) and custom operations run by users' own workers (docs/wire.md: operations).
 */
export const operationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const tags = ["operations"];
  const ok = replies(Operation);

  app.post(
    "/operations",
    {
      schema: {
        tags,
        summary: "Start a custom operation that your worker will complete, fail or cancel",
        body: CreateOperationRequest,
        response: ok,
      },
      config: { idempotent: { scope: "project" } },
    },
    async (req) => toLongRunningOperation(await services.operations.create(req.projectId, req.body)),
  );

  app.get(
    "/operations",
    { schema: { tags, querystring: ListOperationsQuery, response: replies(ListOperationsResponse) } },
    async (req) => {
      const page = await services.operations.list(req.projectId, req.query.filter, requestedPage(req.query));
      return pageReplyCamel("operations", page, (listed) => {
        switch (listed.kind) {
          case "custom":
            return toLongRunningOperation(listed.operation);
          case "batch":
            return toBatchOperation(listed.batch);
          case "video":
            return toVideoOperation(listed.video, (fileId) => services.videos.videoUri(fileId));
        }
      });
    },
  );

  app.get("/operations/:id", { schema: { tags, params: IdParams, response: ok } }, async (req) =>
    toLongRunningOperation(await services.operations.get(req.projectId, req.params.id)),
  );

  app.post(
    customMethod("operations", "complete"),
    {
      schema: {
        tags,
        summary: "Mark it succeeded; sends {type}.succeeded",
        params: IdParams,
        body: CompleteOperationRequest,
        response: ok,
      },
    },
    async (req) => toLongRunningOperation(await services.operations.complete(req.projectId, req.params.id, req.body)),
  );

  app.post(
    customMethod("operations", "fail"),
    {
      schema: {
        tags,
        summary: "Mark it failed; sends {type}.failed",
        params: IdParams,
        body: FailOperationRequest,
        response: ok,
      },
    },
    async (req) => toLongRunningOperation(await services.operations.fail(req.projectId, req.params.id, req.body)),
  );

  app.post(
    customMethod("operations", "cancel"),
    { schema: { tags, summary: "Cancel it; sends {type}.cancelled", params: IdParams, body: Empty, response: ok } },
    async (req) => toLongRunningOperation(await services.operations.cancel(req.projectId, req.params.id)),
  );

  idAction(
    app,
    "DELETE",
    "/operations/:id",
    {
      tags,
      summary:
        "Erase a finished operation with its events, deliveries and attempts (a running one is a 400: cancel it first)",
    },
    (projectId, id) => services.operations.delete(projectId, id),
  );
};
