import type { WebhookConfig as WebhookConfigRequest } from "@tidings/sdk/contract";
import { invalidArgument } from "../core/errors.js";
import type { WebhookConfig } from "../core/operations.js";
import { validateTargetUri, type UriRules } from "./target-uri.js";

const MAX_DYNAMIC_URIS = 10;

/**
 * A request's own webhook targets. `field` names it in errors in the caller's surface: `webhook_config` on
 * Tidings' resources, `batch.webhookConfig` on Gemini's batches (whose `userMetadata` the caller renames).
 */
export function parseWebhookConfig(
  config: WebhookConfigRequest | undefined,
  field: string,
  rules: UriRules,
): WebhookConfig | undefined {
  if (config === undefined) return undefined;
  if (config.uris.length === 0)
    throw invalidArgument(`${field}.uris`, "must be a non-empty list of https URLs that receive this request's events");
  if (config.uris.length > MAX_DYNAMIC_URIS) throw invalidArgument(`${field}.uris`, `at most ${MAX_DYNAMIC_URIS} URIs`);
  const uris = config.uris.map((uri, i) => validateTargetUri(uri, `${field}.uris[${i}]`, rules));
  return { uris, ...(config.user_metadata !== undefined ? { user_metadata: config.user_metadata } : {}) };
}
