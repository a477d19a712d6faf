/**
 * JSON Schemas shared by routes: they validate requests and feed the generated OpenAPI document.
 * Semantic checks (event types, URIs, SSRF) live in the services so their errors can name the exact entry.
 */
export const idParam = {
  type: "object",
  properties: { id: { type: "string", minLength: 1, maxLength: 128 } },
  required: ["id"],
} as const;

export const pageQuery = {
  page_size: { type: "integer", minimum: 0, maximum: 1000, description: "default 50" },
  page_token: { type: "string" },
} as const;

export const rpcStatusSchema = {
  type: "object",
  description: "google.rpc.Status",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "integer" },
        message: { type: "string" },
        status: { type: "string" },
        details: { type: "array", items: { type: "object", additionalProperties: true } },
      },
    },
  },
} as const;

export const errorResponses = {
  "4xx": rpcStatusSchema,
  "5xx": rpcStatusSchema,
} as const;

export const anyObject = { type: "object", additionalProperties: true } as const;

const signingSecret = {
  type: "object",
  properties: { truncated_secret: { type: "string" }, expire_time: { type: "string", format: "date-time" } },
} as const;

export const webhookSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    uri: { type: "string" },
    subscribed_events: { type: "array", items: { type: "string" } },
    state: { type: "string", enum: ["enabled", "disabled", "disabled_due_to_failed_deliveries"] },
    signing_secrets: { type: "array", items: signingSecret },
    new_signing_secret: { type: "string", description: "only on create: the one time the secret is shown" },
    create_time: { type: "string", format: "date-time" },
    update_time: { type: "string", format: "date-time" },
  },
} as const;

export const webhookInput = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 256 },
    uri: { type: "string", maxLength: 2048 },
    subscribed_events: { type: "array", items: { type: "string" }, maxItems: 100 },
    state: { type: "string" },
  },
} as const;

export const operationSchema = {
  type: "object",
  description: "google.longrunning.Operation",
  properties: {
    name: { type: "string" },
    metadata: anyObject,
    done: { type: "boolean" },
    error: { type: "object", properties: { code: { type: "integer" }, message: { type: "string" } } },
    response: anyObject,
  },
} as const;

export const eventSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    type: { type: "string" },
    operation: { type: "string" },
    create_time: { type: "string", format: "date-time" },
    payload: anyObject,
    deliveries: { type: "array", items: anyObject },
  },
} as const;
