import { createHash, randomBytes } from "node:crypto";

/** The secret part of a portal link's URL: 256 random bits, URL-safe. */
export function newPortalToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * What is stored of a token: 256 random bits leave nothing to brute-force, so a fast hash suffices, as for API keys.
 */
export function hashPortalToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
