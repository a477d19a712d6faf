import { type Column, type Dialect, keyOf, type Params, type RowUpdate, type SqlDb } from "../sql/db.js";
import { type SqliteRunner, holderRunner } from "./connection.js";

/** SQLite's spelling: lists are JSON arrays read with json_each. */
export const SQLITE: Dialect = {
  name: "sqlite",
  inList: (column, param) => `${column} IN (SELECT value FROM json_each(:${param}))`,
  least: (a, b) => `MIN(${a}, ${b})`,
  skipLocked: "",
  forUpdate: "",
  true: "1",
  newKey: (tables) => {
    const largest = tables.map((t) => `COALESCE((SELECT MAX(key) FROM ${t}), 0)`);
    // One argument would make MAX the aggregate; two or more make it the scalar.
    return { key: `1 + ${largest.length === 1 ? largest[0] : `MAX(${largest.join(", ")})`}` };
  },
};

/**
 * better-sqlite3 binds numbers, strings, null and buffers: a list goes in as JSON, for json_each, and a boolean as
 * the 0 or 1 SQLite keeps booleans as.
 */
function bind(params: Params | undefined): Params {
  if (params === undefined) return {};
  const bound: Params = {};
  for (const [name, value] of Object.entries(params))
    bound[name] = Array.isArray(value)
      ? JSON.stringify(value)
      : value === undefined
        ? null
        : typeof value === "boolean"
          ? Number(value)
          : value;
  return bound;
}

/** Bound variables per statement (SQLITE_MAX_VARIABLE_NUMBER is 32766 in better-sqlite3's build). */
const MAX_VARIABLES = 32_000;

/**
 * Rows per insert whose keyOf columns look their keys up: past a few hundred rows, SQLite's cost per row of a
 * multi-row VALUES with a subquery in each row grows with the rows (`node bench/sqlite-key-lookups.mjs`).
 */
const MAX_LOOKUP_ROWS = 128;

function* chunks<T>(rows: readonly T[], width: number, maxRows = Number.POSITIVE_INFINITY): Generator<readonly T[]> {
  const size = Math.min(maxRows, Math.floor(MAX_VARIABLES / width));
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

const placeholders = (rows: number, width: number): string => {
  const row = `(${new Array(width).fill("?").join(", ")})`;
  return new Array(rows).fill(row).join(", ");
};

/** An insert's rows: a `?` per column, or the lookup of a keyOf column's key. */
const insertedRows = (rows: number, columns: readonly Column[]): string => {
  const row = `(${columns.map((c) => (c.keyOf === undefined ? "?" : keyOf(c.keyOf, "?"))).join(", ")})`;
  return new Array(rows).fill(row).join(", ");
};

/**
 * The shared statements on a SQLite connection. Each call runs synchronously when it gets the connection (at
 * once inside a transaction); the promise only orders it among the transactions of the event loop.
 */
export class SqliteSqlDb implements SqlDb {
  readonly dialect = SQLITE;

  constructor(private readonly runner: SqliteRunner) {}

  all<R>(sql: string, params?: Params): Promise<R[]> {
    if (this.writesAlone(sql)) return this.atomically((db) => db.all<R>(sql, params));
    return this.runner.run(() => this.runner.connection.statement(sql).all(bind(params)) as R[]);
  }

  first<R>(sql: string, params?: Params): Promise<R | undefined> {
    if (this.writesAlone(sql)) return this.atomically((db) => db.first<R>(sql, params));
    return this.runner.run(() => this.runner.connection.statement(sql).get(bind(params)) as R | undefined);
  }

  run(sql: string, params?: Params): Promise<number> {
    if (!this.runner.inTransaction) return this.atomically((db) => db.run(sql, params));
    return this.runner.run(() => this.runner.connection.statement(sql).run(bind(params)).changes);
  }

  /** Multi-row VALUES, one statement per 32,000 values; each size of statement is compiled once. */
  insertRows(
    table: string,
    columns: readonly Column[],
    rows: readonly unknown[][],
    tail = "",
  ): Promise<Record<string, unknown>[]> {
    if (rows.length === 0) return Promise.resolve([]);
    if (!this.runner.inTransaction) return this.atomically((db) => db.insertRows(table, columns, rows, tail));
    return this.runner.run(() => {
      const out: Record<string, unknown>[] = [];
      const lookups = columns.some((c) => c.keyOf !== undefined);
      for (const chunk of chunks(rows, columns.length, lookups ? MAX_LOOKUP_ROWS : undefined)) {
        const sql = `INSERT INTO ${table} (${columns.map((c) => c.name).join(", ")}) VALUES ${insertedRows(chunk.length, columns)} ${tail}`;
        const statement = this.runner.connection.statement(sql);
        const values = chunk.flat().map((v) => (v === undefined ? null : v));
        if (statement.reader) out.push(...(statement.all(values) as Record<string, unknown>[]));
        else statement.run(values);
      }
      return out;
    });
  }

  /** UPDATE … FROM a VALUES list (its columns are column1, column2, …). */
  updateRows<R = Record<string, unknown>>(update: RowUpdate): Promise<R[]> {
    const { table, key, match = [], columns, rows, where, returning = "key" } = update;
    if (rows.length === 0) return Promise.resolve([]);
    if (!this.runner.inTransaction) return this.atomically((db) => db.updateRows<R>(update));
    return this.runner.run(() => {
      const changed: R[] = [];
      const compared = [key, ...match];
      for (const chunk of chunks(rows, compared.length + columns.length)) {
        const sql = `UPDATE ${table} SET ${columns.map((c, i) => `${c.name} = v.column${compared.length + i + 1}`).join(", ")}
          FROM (VALUES ${placeholders(chunk.length, compared.length + columns.length)}) AS v
          WHERE ${compared.map((c, i) => `${table}.${c.name} = v.column${i + 1}`).join(" AND ")}${where !== undefined ? ` AND ${where}` : ""}
          RETURNING ${returning === "row" ? "*" : `${table}.${key.name}`}`;
        const rows = this.runner.connection.statement(sql).all(chunk.flat().map((v) => (v === undefined ? null : v)));
        changed.push(...(rows as R[]));
      }
      return changed;
    });
  }

  atomically<T>(work: (db: SqlDb) => Promise<T>): Promise<T> {
    if (this.runner.inTransaction) return work(this);
    return this.runner.connection.transaction(() => work(new SqliteSqlDb(holderRunner(this.runner.connection))));
  }

  async unread(statements: readonly Promise<unknown>[]): Promise<void> {
    await Promise.all(statements);
  }

  /**
   * A write outside a transaction joins the group commit (docs/store.md: group commit): alone, it would be a
   * transaction and a COMMIT of its own, its WAL frames written for one row (45 µs for an operation's create,
   * against a few µs in a group).
   */
  private writesAlone(sql: string): boolean {
    return !this.runner.inTransaction && !this.runner.connection.statement(sql).readonly;
  }
}
