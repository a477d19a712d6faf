import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onSendHookHandler,
  preHandlerHookHandler,
  RouteOptions,
} from "fastify";
import { IDEMPOTENCY_HEADER, readIdempotencyKey, requestFingerprint, type SavedResponse } from "../core/idempotency.js";
import { hashApiKey } from "../crypto/api-keys.js";
import type { HeldKey, IdempotencyService } from "../services/idempotency.js";
import { presentedKey } from "./auth.js";

/** Whose keys a route's keys are: the caller's project's, or (admin calls) the admin key's. */
export type IdempotencyScope = "project" | "admin";

/** A creating route's rule: its keys' scope, and (when only some of its requests create) which do. */
export interface IdempotentRoute {
  scope: IdempotencyScope;
  appliesTo?: (req: FastifyRequest) => boolean;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Set on every POST that creates something: an `Idempotency-Key` there makes retries replay the first answer. */
    idempotent?: IdempotentRoute;
  }
  interface FastifyRequest {
    /** The key this request holds while it runs, until its answer is saved or the key freed. */
    idempotencyKeyHeld?: HeldKey;
  }
}

/** Replayed answers say so, as Stripe's do. */
const REPLAYED_HEADER = "idempotent-replayed";
/** The headers of an answer that carry meaning (an upload's session URL comes in headers, with no body). */
const SAVED_HEADERS = /^(content-type|x-goog-upload-.*)$/;

/**
 * `Idempotency-Key` on every route declared with `config.idempotent`, declared after this. It runs once the
 * request is authenticated and has passed the contract's checks, so a request refused by validation saves
 * nothing under its key; only a 2xx answer is saved: an error (a 4xx from the service, a 5xx, a caller that hung
 * up) frees the key for the retry.
 */
export function idempotentCreates(app: FastifyInstance, idempotency: IdempotencyService): void {
  app.addHook("onRoute", (route: RouteOptions) => {
    const rule = (route.config as { idempotent?: IdempotentRoute } | undefined)?.idempotent;
    if (rule === undefined) return;
    route.preHandler = [...hooks(route.preHandler), claimKey(idempotency, rule)];
    route.onSend = [saveAnswer, ...hooks(route.onSend)];
    documentHeader(route);
  });
}

/** The header in the route's OpenAPI entry; its checks are `readIdempotencyKey`'s, which name the header. */
function documentHeader(route: RouteOptions): void {
  const schema = route.schema as { headers?: { type?: string; properties?: Record<string, unknown> } } | undefined;
  if (schema === undefined) return;
  const headers = schema.headers ?? { type: "object" };
  schema.headers = {
    ...headers,
    properties: {
      ...headers.properties,
      [IDEMPOTENCY_HEADER.toLowerCase()]: {
        type: "string",
        description:
          "up to 255 characters, unique per create (a UUID): a retry with the same key and request gets the first answer again, for 24 h; another request with it is a 400",
      },
    },
  };
}

const hooks = <T>(existing: T | T[] | undefined): T[] => (existing === undefined ? [] : ([existing].flat() as T[]));

function claimKey(idempotency: IdempotencyService, rule: IdempotentRoute): preHandlerHookHandler {
  return async function claim(req: FastifyRequest, reply: FastifyReply) {
    const key = readIdempotencyKey(req.headers[IDEMPOTENCY_HEADER.toLowerCase()]);
    if (key === undefined || rule.appliesTo?.(req) === false) return;
    const fingerprint = requestFingerprint({
      method: req.method,
      route: req.routeOptions.url ?? req.url,
      params: req.params,
      query: req.query,
      body: req.body,
    });
    const start = await idempotency.start({ scope: scopeOf(req, rule.scope), key, fingerprint });
    if (start.kind === "replay") {
      const { status, headers, body } = start.response;
      return reply
        .code(status)
        .headers({ ...headers, [REPLAYED_HEADER]: "true" })
        .send(body === "" ? undefined : body);
    }
    req.idempotencyKeyHeld = start.held;
    // A reply that never reaches onSend (the connection dropped first) frees the key too.
    reply.raw.once("close", () => {
      if (!start.held.settled)
        start.held.release().catch((err: unknown) => req.log.warn({ err }, "could not free an Idempotency-Key"));
    });
  };
}

const saveAnswer: onSendHookHandler = async function save(req, reply, payload) {
  const held = req.idempotencyKeyHeld;
  if (held === undefined || held.settled) return payload;
  const body =
    typeof payload === "string"
      ? payload
      : Buffer.isBuffer(payload)
        ? payload.toString("utf8")
        : payload == null
          ? ""
          : undefined;
  try {
    if (reply.statusCode >= 200 && reply.statusCode < 300 && body !== undefined)
      await held.complete(savedResponse(reply, body));
    else await held.release();
  } catch (err) {
    // The answer itself is right: send it. A retry meets the key in flight until its claim runs out, then runs again.
    req.log.warn({ err }, "could not save the answer under its Idempotency-Key");
  }
  return payload;
};

function savedResponse(reply: FastifyReply, body: string): SavedResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (SAVED_HEADERS.test(name) && value !== undefined) headers[name] = String(value);
  }
  return { status: reply.statusCode, headers, body };
}

/** A project's keys are its own; an admin call's belong to the admin key that made it (never stored in clear). */
function scopeOf(req: FastifyRequest, scope: IdempotencyScope): string {
  return scope === "project" ? `project:${req.projectId}` : `admin:${hashApiKey(presentedKey(req) ?? "")}`;
}
