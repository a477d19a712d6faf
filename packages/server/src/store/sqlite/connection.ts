import Database from "better-sqlite3";
import { StoreUnavailableError } from "../errors.js";

type Waiter = { kind: "statement"; run: () => void } | { kind: "transaction"; grant: () => void };

/**
 * The one connection to the database file, shared by every aggregate. better-sqlite3 is synchronous, but a
 * transaction's work is async (services await the store between statements), so while one is open no
 * other statement may run on the connection: it would join that transaction, and roll back with it. The
 * connection is therefore a mutex: statements run at once when it is free (the usual case: no promise,
 * no wait), and wait their turn, in order, while a transaction holds it.
 */
export class SqliteConnection {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private held = false;
  private readonly waiting: Waiter[] = [];

  constructor(path: string) {
    this.db = new Database(path);
  }

  /** Compiling SQL costs more than running these small statements: compile each text once. */
  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` (synchronous SQL) when no transaction holds the connection. */
  whenFree<T>(work: () => T): Promise<T> {
    if (!this.held) return settle(work);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ kind: "statement", run: () => settle(work).then(resolve, reject) });
    });
  }

  /** Runs `work` inside BEGIN IMMEDIATE … COMMIT, holding the connection until it settles. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.held) await new Promise<void>((grant) => this.waiting.push({ kind: "transaction", grant }));
    this.held = true;
    try {
      try {
        this.db.exec("BEGIN IMMEDIATE");
      } catch (err) {
        throw unavailableIfBusy(err);
      }
      try {
        const result = await work();
        this.db.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
    } finally {
      this.release();
    }
  }

  close(): void {
    this.db.close();
  }

  /** Hands the connection on: statements run now, in order, until a transaction takes it. */
  private release(): void {
    this.held = false;
    while (!this.held && this.waiting.length > 0) {
      const next = this.waiting.shift() as Waiter;
      if (next.kind === "statement") {
        next.run();
      } else {
        this.held = true;
        next.grant();
      }
    }
  }
}

function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(unavailableIfBusy(err));
  }
}

/** Another process held the database's lock past busy_timeout (a long `tidings migrate`, a backup). */
function unavailableIfBusy(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" ? new StoreUnavailableError(err) : err;
}

/**
 * How an aggregate reaches the connection: outside a transaction it waits for the connection to be free;
 * inside one it is the holder and runs at once.
 */
export interface SqliteRunner {
  readonly connection: SqliteConnection;
  run<T>(work: () => T): Promise<T>;
}

export function freeRunner(connection: SqliteConnection): SqliteRunner {
  return { connection, run: (work) => connection.whenFree(work) };
}

export function holderRunner(connection: SqliteConnection): SqliteRunner {
  return { connection, run: settle };
}
