import type Database from "better-sqlite3";
import type { SqliteRunner } from "./connection.js";

/** What every SQLite aggregate shares: its runner (free or transaction-holding) and the statement cache. */
export abstract class SqliteAggregate {
  constructor(protected readonly runner: SqliteRunner) {}

  protected run<T>(work: () => T): Promise<T> {
    return this.runner.run(work);
  }

  /** Several statements as one: inside the caller's transaction, else in a transaction of their own. */
  protected atomically<T>(work: () => T): Promise<T> {
    if (this.runner.inTransaction) return this.run(work);
    return this.run(() => this.runner.connection.db.transaction(work).immediate());
  }

  protected statement(sql: string): Database.Statement {
    return this.runner.connection.statement(sql);
  }
}

/** "No limit" for SQL parameters that must be numbers. */
export const MAX_INT = 2 ** 31 - 1;
