/** The database cannot be reached (down, restarting, out of connections): the API answers 503 with Retry-After. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "StoreUnavailableError";
  }
}

/**
 * The database's disk is full (SQLite's SQLITE_FULL, PostgreSQL's 53100 disk_full): the write was refused and
 * nothing was changed. The API answers 507 naming the cause; writes succeed again once there is room.
 */
export class StoreFullError extends Error {
  constructor(cause: unknown) {
    super("the database's disk is full: the write was refused and rolled back", { cause });
    this.name = "StoreFullError";
  }
}
