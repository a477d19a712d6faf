import { type Page, type PageRequest, parsePageRequest } from "../../core/pages.js";

/*
 * A list's paging, in the contract's two spellings: Tidings' own resources in snake_case (PageQuery,
 * next_page_token), the Gemini surfaces in camelCase (GeminiPageQuery, nextPageToken).
 */

/** The page a list's query asks for… */
export function requestedPage(query: { page_size?: number; page_token?: string }): PageRequest {
  return parsePageRequest(query.page_size, query.page_token);
}

/** …as the Gemini surfaces spell it (files, models, batches, operations). */
export function requestedPageCamel(query: { pageSize?: number; pageToken?: string }): PageRequest {
  return parsePageRequest(query.pageSize, query.pageToken);
}

/** A list's reply: the page's items as `view` shows them, under `field`, and the next page's token if more remain… */
export function pageReply<K extends string, T, V>(field: K, page: Page<T>, view: (item: T) => V) {
  return { [field]: page.items.map(view), ...nextPage(page) } as Record<K, V[]> & { next_page_token?: string };
}

/** …as the Gemini surfaces spell it. */
export function pageReplyCamel<K extends string, T, V>(field: K, page: Page<T>, view: (item: T) => V) {
  return { [field]: page.items.map(view), ...nextPageCamel(page) } as Record<K, V[]> & { nextPageToken?: string };
}

/** A list's next page token, when more remain. */
export function nextPage(page: Page<unknown>): { next_page_token?: string } {
  return page.nextPageToken ? { next_page_token: page.nextPageToken } : {};
}

function nextPageCamel(page: Page<unknown>): { nextPageToken?: string } {
  return page.nextPageToken ? { nextPageToken: page.nextPageToken } : {};
}
