import type pg from "pg";
import { StoreFullError, StoreUnavailableError } from "../errors.js";

/** Anything that runs a query: the pool, or the client of an open transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/**
 * Statement texts given a name, so that each connection parses and analyses a text once and then only binds and
 * runs it (docs/store.md: prepared statements). Tidings' texts are fixed (lists go in as arrays), so the names are
 * few; past the bound a new text runs unnamed rather than grow every connection's cache.
 */
const names = new Map<string, string>();
const MAX_NAMES = 2_000;

function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMES) {
    name = `tidings_${names.size}`;
    names.set(text, name);
  }
  return name;
}

/**
 * How an aggregate talks to PostgreSQL: through the pool, or through a transaction's client. The pool's
 * connections pipeline (docs/store.md: round trips): a statement goes out when it is asked for, so statements asked
 * for before the answer to the one ahead of them share its round trip. Round trips are counted for the benchmarks;
 * a connection failure becomes StoreUnavailableError.
 */
export class PgExecutor {
  /** Statements sent on this executor's connection and not yet answered (a transaction's; the pool's each alone). */
  private inFlight = 0;
  /** Writes of this transaction whose answers nobody awaits: its COMMIT checks them (`unread`). */
  private readonly unreadWrites: Promise<unknown>[] = [];
  /** Set once the transaction's COMMIT is sent: a statement after it would run outside the transaction. */
  private ended = false;

  /** `pool` is given when this executor is outside a transaction: `atomically` then opens one. */
  constructor(
    private readonly db: Queryable,
    private readonly onRoundTrip: () => void,
    private readonly pool?: pg.Pool,
  ) {}

  /** Several statements as one: inside the caller's transaction, else in a transaction of their own. */
  atomically<T>(work: (db: PgExecutor) => Promise<T>): Promise<T> {
    if (this.pool === undefined) return work(this);
    return inTransaction(this.pool, this.onRoundTrip, work);
  }

  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.ended) throw new Error("a statement after its transaction's COMMIT was sent");
    if (this.pool !== undefined || this.inFlight === 0) this.onRoundTrip();
    this.inFlight++;
    try {
      // A text without parameters may be a script (a migration's): those run unnamed, in the simple protocol.
      return await (params.length === 0
        ? this.db.query<R>(sql)
        : this.db.query<R>({ name: statementName(sql), text: sql, values: params }));
    } catch (err) {
      throw storeError(err);
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Writes already asked for whose answers nobody reads. In a transaction they are not waited for: the COMMIT goes
   * out behind them, in their round trip, and a failure among them fails the commit (PostgreSQL answers that COMMIT
   * with a rollback). Outside one they are waited for here.
   */
  async unread(statements: readonly Promise<unknown>[]): Promise<void> {
    if (this.pool !== undefined) {
      await Promise.all(statements);
      return;
    }
    const written = Promise.all(statements);
    written.catch(() => {});
    this.unreadWrites.push(written);
  }

  /** Sends COMMIT behind every statement asked for; throws the first unread write's failure, or a rollback. */
  async commit(): Promise<void> {
    const committed = this.query("COMMIT");
    this.ended = true;
    committed.catch(() => {});
    await Promise.all(this.unreadWrites);
    const { command } = await committed;
    if (command !== "COMMIT") throw new Error(`PostgreSQL answered COMMIT with ${command}`);
  }

  /** Why the transaction failed, if an unread write did: a statement after it only reports the aborted transaction. */
  async unreadFailure(): Promise<unknown> {
    for (const outcome of await Promise.allSettled(this.unreadWrites))
      if (outcome.status === "rejected") return outcome.reason;
    return undefined;
  }

  async all<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(sql, params)).rows;
  }

  async first<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | undefined> {
    return (await this.all<R>(sql, params))[0];
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }
}

const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** Errors that say the database is out of reach, not that the statement was wrong (SQLSTATE class 08, 57P0x). */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && (CONNECTION_ERRNOS.has(code) || code.startsWith("08") || /^57P0[1-3]$/.test(code)))
    return true;
  const message = err instanceof Error ? err.message : "";
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(
    message,
  );
}

/** PostgreSQL's errors that are no bug: the database out of reach, or its disk full (53100 disk_full). */
function storeError(err: unknown): unknown {
  if (isConnectionFailure(err)) return err instanceof StoreUnavailableError ? err : new StoreUnavailableError(err);
  return (err as { code?: unknown } | null)?.code === "53100" ? new StoreFullError(err) : err;
}

/** Times are BIGINT columns, rounded on their way in (the migrations' bookkeeping uses it). */
export { ms } from "../sql/db.js";

/** Runs `work` in one transaction on one pooled connection: COMMIT, or ROLLBACK and rethrow. */
export async function inTransaction<T>(
  pool: pg.Pool,
  onRoundTrip: () => void,
  work: (db: PgExecutor) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw isConnectionFailure(err) ? new StoreUnavailableError(err) : err;
  }
  let broken: Error | undefined;
  // A connection that drops while checked out emits 'error' on its client, which the pool no longer listens to:
  // unheard, it would crash the process. The transaction's query fails with it anyway (a 503).
  const onLost = (error: Error) => {
    broken = error;
  };
  client.on("error", onLost);
  const db = new PgExecutor(client, onRoundTrip);
  // Not awaited: the pool's connections pipeline (docs/store.md: round trips), so BEGIN goes out with the work's
  // first statement and is answered before it. BEGIN fails only with its connection, and then so does every
  // statement behind it; its own failure is handled here and thrown below.
  const begun = db.query("BEGIN");
  begun.catch(() => {});
  try {
    const result = await work(db);
    await begun;
    await db.commit();
    return result;
  } catch (error) {
    // If even the ROLLBACK fails the connection is unusable: hand it back marked so the pool drops it.
    await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
    throw (await db.unreadFailure()) ?? error;
  } finally {
    client.off("error", onLost);
    client.release(broken);
  }
}
