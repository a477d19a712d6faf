/**
 * A small client for Tidings' own resources: operations, events, webhooks, projects, the event catalogue and portal
 * links. The Gemini-compatible
 * surfaces (batches, files, interactions, video) are reached with `@google/genai` instead.
 */
import type {
  ApiKey,
  ApiKeyInfo,
  CompleteOperationRequest,
  CreatedPortalLink,
  CreatedWebhook,
  CreateOperationRequest,
  CreatePortalLinkRequest,
  CreateProjectRequest,
  CreateWebhookRequest,
  Delivery,
  EventRecord,
  EventType,
  FailOperationRequest,
  ListDeliveriesQuery,
  ListEventsQuery,
  BatchOperation,
  ListOperationsQuery,
  ListWebhooksQuery,
  Operation,
  PortalLink,
  Project,
  RecoverDeliveriesRequest,
  RecoverDeliveriesResponse,
  RedeliverEventRequest,
  RedeliverEventResponse,
  RotateSigningSecretRequest,
  RotateSigningSecretResponse,
  RpcStatus as WireRpcStatus,
  UpdateWebhookRequest,
  Webhook,
} from "./contract/index.js";

export interface TidingsClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080` (a trailing `/v1` or `/v1beta` is kept as given). */
  baseUrl: string;
  /** A project API key, or the admin key for `projects.*`. Sent as `x-goog-api-key`. */
  apiKey: string;
  /** Custom fetch (tests, proxies, retries). Default: the global one. */
  fetch?: typeof fetch;
}

/** The google.rpc.Status that every Tidings error carries (the `error` of the reply body). */
export type RpcStatus = WireRpcStatus["error"];

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
      typeof error?.message === "string"
        ? error.message
        : `HTTP ${httpStatus}${typeof body === "string" && body ? `: ${body.slice(0, 200)}` : ""}`;
    super(message);
    this.name = "TidingsApiError";
    this.httpStatus = httpStatus;
    this.code = typeof error?.code === "number" ? error.code : httpStatus;
    this.status = typeof error?.status === "string" ? error.status : undefined;
    this.details = Array.isArray(error?.details) ? error.details : [];
    this.body = body;
  }
}

/** The transport could not reach the server at all (refused, DNS, TLS, reset): nothing was answered. */
export class TidingsConnectionError extends Error {
  /** The URL that was tried. */
  readonly url: string;

  constructor(url: string, cause: unknown) {
    const reason = describeFetchFailure(cause);
    super(`could not reach ${url}${reason ? ` (${reason})` : ""}`, { cause });
    this.name = "TidingsConnectionError";
    this.url = url;
  }
}

/** Node's fetch says only "fetch failed"; the reason (ECONNREFUSED …) is on its cause. */
function describeFetchFailure(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error && parts.length < 3; e = e.cause) parts.push(e.message);
  return parts.filter((m) => m !== "fetch failed").join(": ");
}

export type {
  ApiKey,
  ApiKeyInfo,
  CompleteOperationRequest,
  CreateOperationRequest,
  CreatedPortalLink,
  CreatedWebhook,
  CreatePortalLinkRequest,
  CreateProjectRequest,
  CreateWebhookRequest,
  Delivery,
  DeliveryAttempt,
  DeliveryState,
  EventRecord,
  EventType,
  FailOperationRequest,
  Operation,
  OperationError,
  PortalLink,
  Project,
  RecoverDeliveriesRequest,
  RecoverDeliveriesResponse,
  RedeliverEventRequest,
  RedeliverEventResponse,
  RevocationBehavior,
  RotateSigningSecretRequest,
  RotateSigningSecretResponse,
  SigningScheme,
  SigningSecretInfo,
  UpdateWebhookRequest,
  Webhook,
  WebhookConfig,
  WebhookOrdering,
  WebhookState,
} from "./contract/index.js";

export type PageRequest = ListWebhooksQuery;

/** Lists answer with `next_page_token` in either surface's spelling; the client hands back this one. */
type Page<T, K extends string> = { [P in K]: T[] } & { next_page_token?: string };

export type ListOperationsRequest = ListOperationsQuery;
export type ListOperationsResponse = Page<Operation | BatchOperation, "operations">;
export type ListEventsRequest = ListEventsQuery;
export type ListEventsResponse = Page<EventRecord, "events">;
export type ListWebhooksResponse = Page<Webhook, "webhooks">;
export type ListDeliveriesRequest = ListDeliveriesQuery;
export type ListDeliveriesResponse = Page<Delivery, "deliveries">;
export type ListApiKeysResponse = Page<ApiKeyInfo, "api_keys">;
export type ListEventTypesResponse = Page<EventType, "event_types">;
export type ListPortalLinksResponse = Page<PortalLink, "portal_links">;

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

  async request<T>(method: string, path: string, options: { query?: Query; body?: object } = {}): Promise<T> {
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
    let response: Response;
    try {
      response = await this.#fetch(url, init);
    } catch (cause) {
      throw new TidingsConnectionError(url, cause);
    }
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

/** Operations follow the polling surface's camelCase (`nextPageToken`); callers get one spelling. */
async function listPage<T, K extends string>(
  transport: Transport,
  path: string,
  key: K,
  query: Query,
): Promise<Page<T, K>> {
  const raw = await transport.request<Partial<Record<K, T[]>> & { next_page_token?: string; nextPageToken?: string }>(
    "GET",
    path,
    { query },
  );
  const token = raw.next_page_token ?? raw.nextPageToken;
  return { [key]: raw[key] ?? [], ...(token ? { next_page_token: token } : {}) } as Page<T, K>;
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

  list(request: ListOperationsRequest = {}): Promise<ListOperationsResponse> {
    return listPage(this.#t, "/operations", "operations", {
      filter: request.filter,
      page_size: request.page_size,
      page_token: request.page_token,
    });
  }

  complete(id: string, request: CompleteOperationRequest = {}): Promise<Operation> {
    return this.#t.request("POST", `/operations/${idFrom(id, "operations")}:complete`, { body: request });
  }

  fail(id: string, request: FailOperationRequest): Promise<Operation> {
    return this.#t.request("POST", `/operations/${idFrom(id, "operations")}:fail`, { body: request });
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

  list(request: ListEventsRequest = {}): Promise<ListEventsResponse> {
    return listPage(this.#t, "/events", "events", {
      type: request.type,
      operation: request.operation,
      page_size: request.page_size,
      page_token: request.page_token,
    });
  }

  get(id: string): Promise<EventRecord> {
    return this.#t.request("GET", `/events/${idFrom(id, "events")}`);
  }

  /** New deliveries of the same event, with the same `webhook-id` (so receivers deduplicate them). */
  redeliver(id: string, request: RedeliverEventRequest = {}): Promise<RedeliverEventResponse> {
    return this.#t.request("POST", `/events/${idFrom(id, "events")}:redeliver`, { body: request });
  }
}

export class WebhooksResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** The reply carries `new_signing_secret` (v1: the only time it is shown), or `public_key` (v1a: always shown). */
  create(request: CreateWebhookRequest): Promise<CreatedWebhook> {
    return this.#t.request("POST", "/webhooks", { body: request });
  }

  list(request: PageRequest = {}): Promise<ListWebhooksResponse> {
    return listPage(this.#t, "/webhooks", "webhooks", { page_size: request.page_size, page_token: request.page_token });
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

  rotateSigningSecret(id: string, request: RotateSigningSecretRequest = {}): Promise<RotateSigningSecretResponse> {
    return this.#t.request("POST", `/webhooks/${idFrom(id, "webhooks")}:rotateSigningSecret`, { body: request });
  }

  deliveries(id: string, request: ListDeliveriesRequest = {}): Promise<ListDeliveriesResponse> {
    return listPage(this.#t, `/webhooks/${idFrom(id, "webhooks")}/deliveries`, "deliveries", {
      state: request.state,
      order_by: request.order_by,
      page_size: request.page_size,
      page_token: request.page_token,
    });
  }

  /** Re-queues this webhook's failed deliveries created between `since` and `until` (RFC 3339). */
  recover(id: string, request: RecoverDeliveriesRequest): Promise<RecoverDeliveriesResponse> {
    return this.#t.request("POST", `/webhooks/${idFrom(id, "webhooks")}:recover`, { body: request });
  }
}

/** The event catalogue: every type Tidings sends, with the JSON Schema of its payload. */
export class EventTypesResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  list(request: PageRequest = {}): Promise<ListEventTypesResponse> {
    return listPage(this.#t, "/eventTypes", "event_types", {
      page_size: request.page_size,
      page_token: request.page_token,
    });
  }

  /** A built-in type, a custom family (`{type}.succeeded`) or a custom operation's type (`export.succeeded`). */
  get(name: string): Promise<EventType> {
    return this.#t.request("GET", `/eventTypes/${encodeURIComponent(name)}`);
  }
}

/** Single-use links into this project's dashboard, for a customer who has no API key. */
export class PortalLinksResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** The reply's `url` is shown only now: it opens once, until `expire_time`. */
  create(request: CreatePortalLinkRequest = {}): Promise<CreatedPortalLink> {
    return this.#t.request("POST", "/portalLinks", { body: request });
  }

  list(request: PageRequest = {}): Promise<ListPortalLinksResponse> {
    return listPage(this.#t, "/portalLinks", "portal_links", {
      page_size: request.page_size,
      page_token: request.page_token,
    });
  }

  /** The link no longer opens, and the session it opened ends. */
  async revoke(id: string): Promise<void> {
    await this.#t.request("DELETE", `/portalLinks/${idFrom(id, "portalLinks")}`);
  }
}

/** Admin calls: construct the client with `TIDINGS_ADMIN_KEY` as `apiKey`. */
export class ProjectsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  create(request: CreateProjectRequest = {}): Promise<Project> {
    return this.#t.request("POST", "/projects", { body: request });
  }

  /** Mints a key: `key` is shown this once, `id` names it from now on. */
  createApiKey(projectId: string): Promise<ApiKey> {
    return this.#t.request("POST", `/projects/${idFrom(projectId, "projects")}/apiKeys`, { body: {} });
  }

  /** The project's keys, oldest first: ids, creation and last use, never the keys themselves. */
  listApiKeys(projectId: string, request: PageRequest = {}): Promise<ListApiKeysResponse> {
    return listPage(this.#t, `/projects/${idFrom(projectId, "projects")}/apiKeys`, "api_keys", {
      page_size: request.page_size,
      page_token: request.page_token,
    });
  }

  /** Revokes a key: every process sharing the server's database refuses it from now on. */
  async revokeApiKey(projectId: string, keyId: string): Promise<void> {
    await this.#t.request("DELETE", `/projects/${idFrom(projectId, "projects")}/apiKeys/${idFrom(keyId, "apiKeys")}`);
  }
}

export class TidingsClient {
  readonly operations: OperationsResource;
  readonly events: EventsResource;
  readonly webhooks: WebhooksResource;
  readonly eventTypes: EventTypesResource;
  readonly portalLinks: PortalLinksResource;
  readonly projects: ProjectsResource;

  constructor(options: TidingsClientOptions) {
    if (!options.baseUrl) throw new TypeError("baseUrl is required");
    if (!options.apiKey) throw new TypeError("apiKey is required");
    const transport = new Transport(options);
    this.operations = new OperationsResource(transport);
    this.events = new EventsResource(transport);
    this.webhooks = new WebhooksResource(transport);
    this.eventTypes = new EventTypesResource(transport);
    this.portalLinks = new PortalLinksResource(transport);
    this.projects = new ProjectsResource(transport);
  }
}
