import type { FastifyPluginAsync } from "fastify";
import { generateWithRetry } from "../../providers/retry.js";
import { parseGenerateContentRequest } from "../../providers/request.js";
import { ProviderError, type Provider } from "../../providers/provider.js";
import type { RpcStatus } from "../status.js";
import { anyObject, errorResponses } from "../schemas.js";
import { customMethod } from "./verb.js";

interface Deps {
  provider: Provider;
}

/** Names `GET /v1/models` lists; any other name works just as well, since providers serve whatever they get. */
const LISTED_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"];

/** Model names hold dots and dashes (`gemini-2.5-flash`); the route regexes keep `:` and `/` out of them. */
const modelParam = {
  type: "object",
  properties: { id: { type: "string", minLength: 1, maxLength: 256 } },
  required: ["id"],
} as const;

/**
 * For the OpenAPI document only, hence no `type`: ajv would otherwise refuse (or coerce) first, with vaguer
 * messages than parseGenerateContentRequest, which names the field and the fix.
 */
const generateContentBody = {
  description:
    "GenerateContentRequest (Gemini REST): {contents: [{role?: user|model, parts: [{text} | {functionCall} | {functionResponse} | {inlineData}]}], systemInstruction?, generationConfig?, tools?: [{functionDeclarations}], toolConfig?, safetySettings?}",
  examples: [{ contents: [{ role: "user", parts: [{ text: "hello" }] }] }],
} as const;

const modelSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    baseModelId: { type: "string" },
    version: { type: "string" },
    displayName: { type: "string" },
    description: { type: "string" },
    inputTokenLimit: { type: "integer" },
    outputTokenLimit: { type: "integer" },
    supportedGenerationMethods: { type: "array", items: { type: "string" } },
  },
} as const;

/** Gemini-compatible models surface (DESIGN §2.3): sync generation through the configured provider. */
export const modelRoutes: FastifyPluginAsync<Deps> = async (app, { provider }) => {
  const tags = ["models"];
  const model = (id: string) => ({
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
    { schema: { tags, summary: "Some model names; every provider serves any name it is given", response: { 200: { type: "object", properties: { models: { type: "array", items: modelSchema } } }, ...errorResponses } } },
    async () => ({ models: LISTED_MODELS.map(model) }),
  );

  app.get<{ Params: { id: string } }>(
    "/models/:id(^[^:/]+)",
    { schema: { tags, params: modelParam, response: { 200: modelSchema, ...errorResponses } } },
    async (req) => model(req.params.id),
  );

  app.post<{ Params: { id: string }; Body: unknown }>(
    customMethod("models", "generateContent"),
    { schema: { tags, summary: "Generate a reply now, through the configured provider (retries 429 and 5xx)", params: modelParam, body: generateContentBody, response: { 200: anyObject, ...errorResponses } } },
    async (req, reply) => {
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

/** A provider failure as google.rpc.Status: the code and name were chosen where the failure was understood. */
function providerStatus(err: ProviderError): RpcStatus {
  const status: RpcStatus = { error: { code: err.status, message: err.message, status: err.code } };
  if (err.field !== undefined) {
    const description = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
    status.error.details = [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: err.field, description }] }];
  }
  return status;
}
