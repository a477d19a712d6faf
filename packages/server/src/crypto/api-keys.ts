import { createHash } from "node:crypto";

/**
 * API keys are 40 random characters, so a fast hash is enough to make a stolen database useless
 * (there is nothing to brute-force); it also keeps auth to one indexed lookup.
 */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
