import type { TSchema } from "@sinclair/typebox";
import { ErrorResponses } from "@tidings/sdk/contract";
import type { Page } from "../../core/pages.js";

/** A route's replies: its message on 200, google.rpc.Status on every 4xx and 5xx. */
export function replies<T extends TSchema>(ok: T) {
  return { 200: ok, ...ErrorResponses };
}

/** A list's next page token, when more remain, as Tidings' own resources name it (snake_case)… */
export function nextPage(page: Page<unknown>): { next_page_token?: string } {
  return page.nextPageToken ? { next_page_token: page.nextPageToken } : {};
}

/** …and as the Gemini surfaces do (files, models, batches, operations). */
export function nextPageCamel(page: Page<unknown>): { nextPageToken?: string } {
  return page.nextPageToken ? { nextPageToken: page.nextPageToken } : {};
}
