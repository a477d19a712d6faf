import type { FastifyPluginAsync } from "fastify";
import { invalidArgument } from "../../core/errors.js";
import { toLongRunningOperation } from "../../core/operations.js";
import { parsePageRequest } from "../../core/pages.js";
import type { Services } from "../../services/index.js";
import type { CreateOperationInput } from "../../services/operations.js";
import { anyObject, errorResponses, idParam, operationSchema, pageQuery } from "../schemas.js";
import { customMethod } from "./verb.js";

/** The polling surface (google.longrunning) and custom operations run by users' own workers (DESIGN §2.6). */
export const operationRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const tags = ["operations"];
  const ok = { 200: operationSchema, ...errorResponses };

  app.post<{ Body: CreateOperationInput }>(
    "/operations",
    {
      schema: {
        tags,
        summary: "Start a custom operation that your worker will complete, fail or cancel",
        body: {
          type: "object",
          properties: {
            type: { type: "string" },
            metadata: anyObject,
            expire_time: { type: "string" },
            webhook_config: { type: "object", properties: { uris: { type: "array", items: { type: "string" } }, user_metadata: anyObject } },
          },
          required: ["type"],
        },
        response: ok,
      },
    },
    async (req) => toLongRunningOperation(await services.operations.create(req.projectId, req.body)),
  );

  app.get<{ Querystring: { filter?: string; page_size?: number; page_token?: string } }>(
    "/operations",
    { schema: { tags, querystring: { type: "object", properties: { filter: { type: "string", description: "done=true|false, type=NAME" }, ...pageQuery } }, response: { 200: { type: "object", properties: { operations: { type: "array", items: operationSchema }, nextPageToken: { type: "string" } } }, ...errorResponses } } },
    async (req) => {
      const page = await services.operations.list(req.projectId, req.query.filter, parsePageRequest(req.query.page_size, req.query.page_token));
      return { operations: page.items.map(toLongRunningOperation), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>("/operations/:id", { schema: { tags, params: idParam, response: ok } }, async (req) =>
    toLongRunningOperation(await services.operations.get(req.projectId, req.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { response?: Record<string, unknown>; output_file_uri?: string } | undefined }>(
    customMethod("operations", "complete"),
    { schema: { tags, summary: "Mark it succeeded; sends {type}.succeeded", params: idParam, body: { type: "object", properties: { response: anyObject, output_file_uri: { type: "string", maxLength: 2048 } } }, response: ok } },
    async (req) => {
      const body = req.body ?? {};
      const { operation } = await services.operations.finish(req.projectId, req.params.id, {
        kind: "complete",
        response: body.response,
        outputFileUri: body.output_file_uri,
      });
      return toLongRunningOperation(operation);
    },
  );

  app.post<{ Params: { id: string }; Body: { error?: { code?: number; message?: string } } }>(
    customMethod("operations", "fail"),
    { schema: { tags, summary: "Mark it failed; sends {type}.failed", params: idParam, body: { type: "object", properties: { error: { type: "object", properties: { code: { type: "integer" }, message: { type: "string" } }, required: ["message"] } }, required: ["error"] }, response: ok } },
    async (req) => {
      const { code = 2, message } = req.body.error ?? {};
      if (message === undefined || message === "") throw invalidArgument("error.message", "is required: say what went wrong");
      const { operation } = await services.operations.finish(req.projectId, req.params.id, { kind: "fail", error: { code, message } });
      return toLongRunningOperation(operation);
    },
  );

  app.post<{ Params: { id: string } }>(
    customMethod("operations", "cancel"),
    { schema: { tags, summary: "Cancel it; sends {type}.cancelled", params: idParam, response: ok } },
    async (req) => {
      const { operation } = await services.operations.finish(req.projectId, req.params.id, { kind: "cancel" });
      return toLongRunningOperation(operation);
    },
  );
};
