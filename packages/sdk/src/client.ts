/**
 * A small client for Tidings' own resources (DESIGN §2.1, §2.2, §2.6, §2.7). The Gemini-compatible
 * surfaces (batches, files, interactions, video) are reached with `@google/genai` instead.
 */
import type { WebhookEvent } from "./events.js";

export interface TidingsClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080` (a trailing `/v1` or `/v1beta` is kept as given). */
  baseUrl: string;
  /** A project API key, or the admin key for `projects.*`. Sent as `x-goog-api-key`. */
  apiKey: string;
  /** Custom fetch (tests, proxies, retries). Default: the global one. */
  fetch?: typeof fetch;
}

/** The google.rpc.Status that every Tidings error carries. */
export interface RpcStatus {
  code: number;
  message: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
}

export class TidingsApiError extends Error {
  /** HTTP status of the response. */
  readonly httpStatus: number;
  /** google.rpc code (equal to the HTTP status for Tidings). */
  readonly code: number;
  /** Canonical status name: `INVALID_ARGUMENT`, `NOT_FOUND`, … (absent if the body was not a Status). */
  readonly status: string | undefined;
  readonly details: Array<Record<string, unknown>>;
  /** The parsed error body, or its text when it was not JSON. */
  readonly body: unknown;

  constructor(httpStatus: number, body: unknown) {
    const error = (body as { error?: Partial<RpcStatus> } | null)?.error;
    const message =
      typeof error?.message === "string" ? error.message : `HTTP ${httpStatus}${typeof body === "string" && body ? `: ${body.slice(0, 200)}` : ""}`;
    super(message);
    this.name = "TidingsApiError";
    this.httpStatus = httpStatus;
    this.code = typeof error?.code === "number" ? error.code : httpStatus;
    this.status = typeof error?.status === "string" ? error.status : undefined;
    this.details = Array.isArray(error?.details) ? error.details : [];
    this.body = body;
  }
}

export interface WebhookConfig {
  uris: string[];
  user_metadata?: Record<string, unknown>;
}

/** google.longrunning.Operation. */
export interface Operation {
  /** `operations/{id}` for custom operations. */
  name: string;
  metadata?: Record<string, unknown>;
  done?: boolean;
  error?: { code: number; message: string; details?: unknown[] };
  response?: Record<string, unknown>;
}

export interface CreateOperationRequest {
  /** `[a-z][a-z0-9_]*`, not batch/interaction/video/webhook; events are `{type}.succeeded` etc. */
  type: string;
  metadata?: Record<string, unknown>;
  /** RFC 3339; past it the operation ends as `{type}.expired`. */
  expire_time?: string;
  webhook_config?: WebhookConfig;
}

export interface PageRequest {
  page_size?: number;
  page_token?: string;
}

export interface ListOperationsRequest extends PageRequest {
  /** e.g. `done=false`. */
  filter?: string;
}

export interface ListOperationsResponse {
  operations: Operation[];
  next_page_token?: string;
}

export type WebhookState = "enabled" | "disabled" | "disabled_due_to_failed_deliveries";

export interface SigningSecretInfo {
  truncated_secret: string;
  expire_time?: string;
}

export interface Webhook {
  id: string;
  name?: string;
  uri: string;
  subscribed_events: string[];
  state: WebhookState;
  signing_secrets: SigningSecretInfo[];
  create_time: string;
  update_time: string;
  /** Only in the response to `create`: the one time the full secret is shown. */
  new_signing_secret?: string;
}

export interface CreateWebhookRequest {
  name?: string;
  uri: string;
  subscribed_events: string[];
}

export type UpdateWebhookRequest = Partial<Pick<Webhook, "name" | "uri" | "subscribed_events" | "state">>;

export type RevocationBehavior = "revoke_previous_secrets_after_h24" | "revoke_previous_secrets_immediately";

/** One HTTP POST of a delivery. */
export interface DeliveryAttempt {
  attempt_number: number;
  start_time: string;
  status_code?: number;
  latency_ms: number;
  error?: string;
  response_excerpt?: string;
  request_headers?: Record<string, string>;
}

/** One event bound for one target. */
export interface Delivery {
  id: string;
  /** The event's id, which is also its `webhook-id` header. */
  event_id: string;
  /** Absent for dynamic (webhook_config) targets. */
  webhook_id?: string;
  uri: string;
  state: string;
  attempt_count: number;
  next_attempt_time?: string;
  last_status_code?: number;
  last_error?: string;
  create_time: string;
  update_time: string;
  attempts: DeliveryAttempt[];
}

export interface EventRecord {
  /** `msg_…`: the same value receivers see as `webhook-id`. */
  id: string;
  type: string;
  /** The operation's name, e.g. `operations/abc` or `batches/xyz`. */
  operation?: string;
  create_time: string;
  /** The event exactly as delivered. */
  payload: WebhookEvent;
  /** Only on `events.get`. */
  deliveries?: Delivery[];
}

export interface ListEventsRequest extends PageRequest {
  type?: string;
  /** An operation name, e.g. `operations/abc` or `batches/xyz`. */
  operation?: string;
}

export interface Project {
  id: string;
  display_name: string;
  create_time: string;
}

export interface ApiKey {
  /** Shown once: the server keeps only a hash. */
  key: string;
  project_id: string;
}

type Query = Record<string, string | number | undefined>;

/** Shared by the resource classes; not meant to be constructed directly. */
export class Transport {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;

  constructor(options: TidingsClientOptions) {
    const base = options.baseUrl.replace(/\/+$/, "");
    this.#base = /\/v1(beta)?$/.test(base) ? base : `${base}/v1`;
    this.#apiKey = options.apiKey;
    // Wrapped: calling a detached global fetch throws "Illegal invocation" in browsers.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    let url = this.#base + path;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) query.set(key, String(value));
    }
    const search = query.toString();
    if (search) url += `?${search}`;

    const headers: Record<string, string> = { "x-goog-api-key": this.#apiKey, accept: "application/json" };
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    const response = await this.#fetch(url, init);
    const text = await response.text();
    let parsed: unknown = text;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Keep the text: a proxy's HTML error page is still worth showing in the error.
      }
    } else {
      parsed = {};
    }
    if (!response.ok) throw new TidingsApiError(response.status, parsed);
    return parsed as T;
  }
}

/** Accepts `abc` or `operations/abc` (what the server returns as `name`), and so on per collection. */
function idFrom(value: string, collection: string): string {
  const prefix = `${collection}/`;
  const id = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  if (id === "") throw new TypeError(`empty ${collection} id`);
  return encodeURIComponent(id);
}

function pageOf<T extends object>(raw: T & { next_page_token?: string; nextPageToken?: string }): T & { next_page_token?: string } {
  // Operations follow the Gemini surface's camelCase; normalise so callers handle one spelling.
  const { nextPageToken, ...rest } = raw;
  const token = raw.next_page_token ?? nextPageToken;
  return (token ? { ...rest, next_page_token: token } : rest) as T & { next_page_token?: string };
}

export class OperationsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  create(request: CreateOperationRequest): Promise<Operation> {
    return this.#t.request("POST", "/operations", { body: request });
  }

  get(id: string): Promise<Operation> {
    return this.#t.request("GET", `/operations/${idFrom(id, "operations")}`);
  }

  async list(request: ListOperationsRequest = {}): Promise<ListOperationsResponse> {
    const raw = await this.#t.request<Partial<ListOperationsResponse> & { nextPageToken?: string }>("GET", "/operations", {
      query: { filter: request.filter, page_size: request.page_size, page_token: request.page_token },
    });
    return pageOf({ ...raw, operations: raw.operations ?? [] });
  }

  complete(id: string, result: { response?: Record<string, unknown>; output_file_uri?: string } = {}): Promise<Operation> {
    return this.#t.request("POST", `/operations/${idFrom(id, "operations")}:complete`, { body: result });
  }

  fail(id: string, result: { error: { code: number; message: string } }): Promise<Operation> {
    return this.#t.request("POST", `/operations/${idFrom(id, "operations")}:fail`, { body: result });
  }

  cancel(id: string): Promise<Operation> {
    return this.#t.request("POST", `/operations/${idFrom(id, "operations")}:cancel`, { body: {} });
  }
}

export class EventsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  async list(request: ListEventsRequest = {}): Promise<{ events: EventRecord[]; next_page_token?: string }> {
    const raw = await this.#t.request<{ events?: EventRecord[]; next_page_token?: string; nextPageToken?: string }>(
      "GET",
      "/events",
      { query: { type: request.type, operation: request.operation, page_size: request.page_size, page_token: request.page_token } },
    );
    return pageOf({ ...raw, events: raw.events ?? [] });
  }

  get(id: string): Promise<EventRecord> {
    return this.#t.request("GET", `/events/${idFrom(id, "events")}`);
  }

  /** New deliveries of the same event, with the same `webhook-id` (so receivers deduplicate them). */
  redeliver(id: string, request: { webhook_id?: string } = {}): Promise<{ delivery_count: number }> {
    return this.#t.request("POST", `/events/${idFrom(id, "events")}:redeliver`, { body: request });
  }
}

export class WebhooksResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  create(request: CreateWebhookRequest): Promise<Webhook> {
    return this.#t.request("POST", "/webhooks", { body: request });
  }

  async list(request: PageRequest = {}): Promise<{ webhooks: Webhook[]; next_page_token?: string }> {
    const raw = await this.#t.request<{ webhooks?: Webhook[]; next_page_token?: string; nextPageToken?: string }>(
      "GET",
      "/webhooks",
      { query: { page_size: request.page_size, page_token: request.page_token } },
    );
    return pageOf({ ...raw, webhooks: raw.webhooks ?? [] });
  }

  get(id: string): Promise<Webhook> {
    return this.#t.request("GET", `/webhooks/${idFrom(id, "webhooks")}`);
  }

  /** PATCH with `update_mask` defaulting to the fields present in `changes`. */
  update(id: string, changes: UpdateWebhookRequest, updateMask: string[] = Object.keys(changes)): Promise<Webhook> {
    return this.#t.request("PATCH", `/webhooks/${idFrom(id, "webhooks")}`, {
      query: { update_mask: updateMask.join(",") },
      body: changes,
    });
  }

  async delete(id: string): Promise<void> {
    await this.#t.request("DELETE", `/webhooks/${idFrom(id, "webhooks")}`);
  }

  /** Sends a `webhook.ping` event to this webhook alone. */
  async ping(id: string): Promise<void> {
    await this.#t.request("POST", `/webhooks/${idFrom(id, "webhooks")}:ping`, { body: {} });
  }

  rotateSigningSecret(id: string, request: { revocation_behavior?: RevocationBehavior } = {}): Promise<{ secret: string }> {
    return this.#t.request("POST", `/webhooks/${idFrom(id, "webhooks")}:rotateSigningSecret`, { body: request });
  }

  async deliveries(
    id: string,
    request: PageRequest & { state?: string } = {},
  ): Promise<{ deliveries: Delivery[]; next_page_token?: string }> {
    const raw = await this.#t.request<{ deliveries?: Delivery[]; next_page_token?: string; nextPageToken?: string }>(
      "GET",
      `/webhooks/${idFrom(id, "webhooks")}/deliveries`,
      { query: { state: request.state, page_size: request.page_size, page_token: request.page_token } },
    );
    return pageOf({ ...raw, deliveries: raw.deliveries ?? [] });
  }

  /** Re-queues this webhook's failed deliveries between `since` and `until` (RFC 3339). */
  recover(id: string, request: { since: string; until?: string }): Promise<{ recovered_count: number }> {
    return this.#t.request("POST", `/webhooks/${idFrom(id, "webhooks")}:recover`, { body: request });
  }
}

/** Admin calls: construct the client with `TIDINGS_ADMIN_KEY` as `apiKey`. */
export class ProjectsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  create(request: { display_name?: string } = {}): Promise<Project> {
    return this.#t.request("POST", "/projects", { body: request });
  }

  createApiKey(projectId: string): Promise<ApiKey> {
    return this.#t.request("POST", `/projects/${idFrom(projectId, "projects")}/apiKeys`, { body: {} });
  }
}

export class TidingsClient {
  readonly operations: OperationsResource;
  readonly events: EventsResource;
  readonly webhooks: WebhooksResource;
  readonly projects: ProjectsResource;

  constructor(options: TidingsClientOptions) {
    if (!options.baseUrl) throw new TypeError("baseUrl is required");
    if (!options.apiKey) throw new TypeError("apiKey is required");
    const transport = new Transport(options);
    this.operations = new OperationsResource(transport);
    this.events = new EventsResource(transport);
    this.webhooks = new WebhooksResource(transport);
    this.projects = new ProjectsResource(transport);
  }
}
