import { invalidArgument } from "../core/errors.js";
import type { WebhookConfig } from "../core/operations.js";
import { validateTargetUri, type UriRules } from "./target-uri.js";

const MAX_DYNAMIC_URIS = 10;

/**
 * A request's own webhook targets: `{uris, user_metadata}` (snake_case on Tidings' resources) or
 * `{uris, userMetadata}` (camelCase on Gemini's batches). `field` names it in errors, in the caller's case.
 */
export function parseWebhookConfig(value: unknown, field: { uris: string; metadata: string }, rules: UriRules): WebhookConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const config = value as { uris?: unknown; user_metadata?: unknown; userMetadata?: unknown };
  if (!Array.isArray(config.uris) || config.uris.length === 0) {
    throw invalidArgument(field.uris, "must be a non-empty list of https URLs that receive this request's events");
  }
  if (config.uris.length > MAX_DYNAMIC_URIS) throw invalidArgument(field.uris, `at most ${MAX_DYNAMIC_URIS} URIs`);
  const uris = config.uris.map((uri, i) => validateTargetUri(uri, `${field.uris}[${i}]`, rules));
  const metadata = config.user_metadata ?? config.userMetadata;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) {
    throw invalidArgument(field.metadata, "must be a JSON object");
  }
  return { uris, ...(metadata !== undefined ? { user_metadata: metadata as Record<string, unknown> } : {}) };
}
