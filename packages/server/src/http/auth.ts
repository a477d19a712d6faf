import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
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
 * A project's API key, from headers or `?key=` (the three ways Google clients send it; docs/wire.md: conventions).
 * Request
 * URLs are never logged (request logging is off, and the not-found message drops the query).
 */
export function presentedKey(req: FastifyRequest): string | undefined {
  return headerKey(req) ?? queryKey(req);
}

const unauthenticated = () =>
  new TidingsError("UNAUTHENTICATED", "missing or invalid API key: send it as x-goog-api-key or Authorization: Bearer");

export type Authenticate = (req: FastifyRequest) => Promise<void>;

/**
 * The API-key check of every authenticated route (the service remembers known keys briefly), then the
 * project's request rate, when TIDINGS_RATE_LIMIT_PER_PROJECT sets one.
 */
export function authenticate(
  projects: Pick<ProjectService, "authenticate">,
  limitRate?: (projectId: string) => void,
): Authenticate {
  return async (req: FastifyRequest): Promise<void> => {
    const key = presentedKey(req);
    if (key === undefined) throw unauthenticated();
    const holder = await projects.authenticate(key);
    if (holder === undefined) throw unauthenticated();
    req.projectId = holder.projectId;
    limitRate?.(holder.projectId);
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
      throw new TidingsError(
        "PERMISSION_DENIED",
        "admin calls are disabled: start the server with TIDINGS_ADMIN_KEY set",
      );
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
    if (!timingSafeEqual(sha256(key), expected))
      throw new TidingsError("PERMISSION_DENIED", "this call needs the admin key (TIDINGS_ADMIN_KEY)");
  };
}
