import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { Clock } from "../core/clock.js";
import { TidingsError } from "../core/errors.js";
import type { ProjectService } from "../services/projects.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The project the caller's API key belongs to; set by `authenticate`. */
    projectId: string;
  }
}

/** The key from `x-goog-api-key` or `Authorization: Bearer`. */
function headerKey(req: FastifyRequest): string | undefined {
  const header = req.headers["x-goog-api-key"];
  if (typeof header === "string" && header !== "") return header;
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice("Bearer ".length).trim() || undefined;
  return undefined;
}

function queryKey(req: FastifyRequest): string | undefined {
  const query = (req.query as Record<string, unknown> | undefined)?.key;
  return typeof query === "string" && query !== "" ? query : undefined;
}

/**
 * A project's API key, from headers or `?key=` (the three ways Google clients send it; DESIGN §2). Request
 * URLs are never logged (request logging is off, and the not-found message drops the query).
 */
export function presentedKey(req: FastifyRequest): string | undefined {
  return headerKey(req) ?? queryKey(req);
}

const unauthenticated = () => new TidingsError("UNAUTHENTICATED", "missing or invalid API key: send it as x-goog-api-key or Authorization: Bearer");

/** Known keys are remembered briefly: a hash and a query per request add up at webhook volumes. */
const KEY_CACHE_MS = 30_000;
const KEY_CACHE_LIMIT = 10_000;

export type Authenticate = (req: FastifyRequest) => Promise<void>;

/** The API-key check of every authenticated route; build one per app so its routes share the memory. */
export function authenticate(projects: Pick<ProjectService, "projectIdForKey">, clock: Clock): Authenticate {
  const known = new Map<string, { projectId: string; until: number }>();
  return async (req: FastifyRequest): Promise<void> => {
    const key = presentedKey(req);
    if (key === undefined) throw unauthenticated();
    const cached = known.get(key);
    if (cached !== undefined && cached.until > clock.now()) {
      req.projectId = cached.projectId;
      return;
    }
    const projectId = await projects.projectIdForKey(key);
    if (projectId === undefined) throw unauthenticated();
    if (known.size >= KEY_CACHE_LIMIT) known.clear();
    known.set(key, { projectId, until: clock.now() + KEY_CACHE_MS });
    req.projectId = projectId;
  };
}

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Admin calls take TIDINGS_ADMIN_KEY, from headers only: a query string ends up in proxy and access logs.
 * Compared in constant time, on hashes so that the lengths match too. Without a key configured, admin
 * calls are switched off.
 */
export function authenticateAdmin(adminKey: string | undefined) {
  const expected = adminKey === undefined ? undefined : sha256(adminKey);
  return async (req: FastifyRequest): Promise<void> => {
    if (expected === undefined) {
      throw new TidingsError("PERMISSION_DENIED", "admin calls are disabled: start the server with TIDINGS_ADMIN_KEY set");
    }
    const key = headerKey(req);
    if (key === undefined) {
      if (queryKey(req) !== undefined) {
        throw new TidingsError(
          "UNAUTHENTICATED",
          "the admin key is taken from headers only (x-goog-api-key or Authorization: Bearer), never ?key=, which ends up in logs",
        );
      }
      throw unauthenticated();
    }
    if (!timingSafeEqual(sha256(key), expected)) throw new TidingsError("PERMISSION_DENIED", "this call needs the admin key (TIDINGS_ADMIN_KEY)");
  };
}
