import { invalidArgument } from "./errors.js";

export interface PageRequest {
  pageSize: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  /** Present when more items remain. */
  nextPageToken?: string;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/** Page tokens are opaque to clients; inside they are an offset. */
export function parsePageRequest(pageSize: number | undefined, pageToken: string | undefined): PageRequest {
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE)) {
    throw invalidArgument("page_size", `must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  }
  let offset = 0;
  if (pageToken !== undefined && pageToken !== "") {
    const decoded = Number(Buffer.from(pageToken, "base64url").toString("utf8").replace(/^o:/, ""));
    if (!Number.isInteger(decoded) || decoded < 0) {
      throw invalidArgument(
        "page_token",
        "is not a token this server issued; pass next_page_token from a previous reply",
      );
    }
    offset = decoded;
  }
  return { pageSize: pageSize || DEFAULT_PAGE_SIZE, offset };
}

/** Builds a page from `pageSize + 1` fetched rows: the extra row only says that more remain. */
export function toPage<T>(rows: T[], request: PageRequest): Page<T> {
  if (rows.length <= request.pageSize) return { items: rows };
  const nextOffset = request.offset + request.pageSize;
  return {
    items: rows.slice(0, request.pageSize),
    nextPageToken: Buffer.from(`o:${nextOffset}`, "utf8").toString("base64url"),
  };
}
