import type { FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.js";
import { TidingsError } from "../core/errors.js";
import { hashApiKey } from "../crypto/api-keys.js";
import type { Store } from "../store/store.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The project the caller's API key belongs to; set by `authenticate`. */
    projectId: string;
  }
}

/** The key from `x-goog-api-key`, `Authorization: Bearer`, or `?key=` (the three ways Google clients send it). */
export function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers["x-goog-api-key"];
  if (typeof header === "string" && header !== "") return header;
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice("Bearer ".length).trim();
  const query = (req.query as Record<string, unknown> | undefined)?.key;
  return typeof query === "string" && query !== "" ? query : undefined;
}

const unauthenticated = () =>
  new TidingsError("UNAUTHENTICATED", "missing or invalid API key: send it as x-goog-api-key or Authorization: Bearer");

/** Known keys are remembered briefly: a hash and a query per request add up at webhook volumes. */
const KEY_CACHE_MS = 30_000;
const KEY_CACHE_LIMIT = 10_000;

export function authenticate(store: Store, clock: Clock) {
  const known = new Map<string, { projectId: string; until: number }>();
  return async (req: FastifyRequest): Promise<void> => {
    const key = presentedKey(req);
    if (key === undefined) throw unauthenticated();
    const cached = known.get(key);
    if (cached !== undefined && cached.until > clock.now()) {
      req.projectId = cached.projectId;
      return;
    }
    const projectId = await store.projects.projectIdForKeyHash(hashApiKey(key));
    if (projectId === undefined) throw unauthenticated();
    if (known.size >= KEY_CACHE_LIMIT) known.clear();
    known.set(key, { projectId, until: clock.now() + KEY_CACHE_MS });
    req.projectId = projectId;
  };
}

/** Admin calls take TIDINGS_ADMIN_KEY; without one configured they are switched off. */
export function authenticateAdmin(adminKey: string | undefined) {
  return async (req: FastifyRequest): Promise<void> => {
    if (adminKey === undefined) {
      throw new TidingsError("PERMISSION_DENIED", "admin calls are disabled: start the server with TIDINGS_ADMIN_KEY set");
    }
    const key = presentedKey(req);
    if (key === undefined) throw unauthenticated();
    if (key !== adminKey) throw new TidingsError("PERMISSION_DENIED", "this call needs the admin key (TIDINGS_ADMIN_KEY)");
  };
}
