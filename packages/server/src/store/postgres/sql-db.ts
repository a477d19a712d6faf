import { type Column, type Dialect, keyOf, type Params, type RowUpdate, type SqlDb } from "../sql/db.js";
import type { PgExecutor } from "./executor.js";

/** PostgreSQL's spelling: lists are arrays. */
export const POSTGRES: Dialect = {
  name: "postgres",
  inList: (column, param, type) => `${column} = ANY(:${param}::${type}[])`,
  least: (a, b) => `LEAST(${a}, ${b})`,
  skipLocked: "FOR UPDATE SKIP LOCKED",
  forUpdate: "FOR UPDATE",
  true: "TRUE",
  newKey: () => ({}),
};

interface Bound {
  text: string;
  names: string[];
}

const rebound = new Map<string, Bound>();

/**
 * `:name` parameters to pg's `$n`, once per text. String literals and `::type` casts are left alone. Times are
 * BIGINT columns and retry times carry jitter, so a fractional number is rounded on its way in.
 */
function rebind(sql: string): Bound {
  let bound = rebound.get(sql);
  if (bound === undefined) {
    const names: string[] = [];
    const text = sql
      .split(/('(?:[^']|'')*')/)
      .map((part, i) =>
        i % 2 === 1
          ? part
          : part.replace(/(?<![:\w]):([A-Za-z_]\w*)/g, (_, name: string) => {
              let index = names.indexOf(name);
              if (index === -1) index = names.push(name) - 1;
              return `$${index + 1}`;
            }),
      )
      .join("");
    bound = { text, names };
    rebound.set(sql, bound);
  }
  return bound;
}

const value = (v: unknown): unknown => (v === undefined ? null : v);

function values(bound: Bound, params: Params | undefined): unknown[] {
  return bound.names.map((name) => {
    if (params === undefined || !(name in params)) throw new Error(`missing SQL parameter :${name}`);
    const v = params[name];
    return Array.isArray(v) ? v.map(value) : value(v);
  });
}

/** A BIGINT or INT column refuses a fraction (a latency is the one float, and its column says so). */
const typed = (v: unknown, type: Column["type"]): unknown =>
  typeof v === "number" && type !== "float8" && !Number.isInteger(v) ? Math.round(v) : value(v);

const unnest = (columns: readonly Column[], from: number): string =>
  `UNNEST(${columns.map((c, i) => `$${from + i + 1}::${c.type}[]`).join(", ")})`;

/** Rows to one array per column, as UNNEST reads them. */
const columnArrays = (rows: readonly unknown[][], columns: readonly Column[]): unknown[][] =>
  columns.map((column, i) => rows.map((row) => typed(row[i], column.type)));

/** The shared statements on PostgreSQL: each call one round trip (counted by the executor). */
export class PgSqlDb implements SqlDb {
  readonly dialect = POSTGRES;

  constructor(private readonly executor: PgExecutor) {}

  all<R>(sql: string, params?: Params): Promise<R[]> {
    const bound = rebind(sql);
    return this.executor.all(bound.text, values(bound, params)) as Promise<R[]>;
  }

  async first<R>(sql: string, params?: Params): Promise<R | undefined> {
    return (await this.all<R>(sql, params))[0];
  }

  run(sql: string, params?: Params): Promise<number> {
    const bound = rebind(sql);
    return this.executor.count(bound.text, values(bound, params));
  }

  /** One statement for any number of rows: an UNNEST of one array per column. */
  async insertRows(
    table: string,
    columns: readonly Column[],
    rows: readonly unknown[][],
    tail = "",
  ): Promise<Record<string, unknown>[]> {
    if (rows.length === 0) return [];
    const names = columns.map((c) => c.name).join(", ");
    // UNNEST gives the rows in the arrays' order; a keyOf column's lookup is a scalar subquery, which keeps it.
    const selected = columns.some((c) => c.keyOf !== undefined)
      ? `${columns.map((c) => (c.keyOf === undefined ? `v.${c.name}` : keyOf(c.keyOf, `v.${c.name}`))).join(", ")} FROM ${unnest(columns, 0)} AS v(${names})`
      : `* FROM ${unnest(columns, 0)}`;
    return this.executor.all(`INSERT INTO ${table} (${names}) SELECT ${selected} ${tail}`, columnArrays(rows, columns));
  }

  /**
   * One statement for any number of rows: UPDATE … FROM an UNNEST. Locking in key order first is a materialized
   * `SELECT … ORDER BY key FOR UPDATE` that the update joins: its rows are locked as it yields them, in its order.
   */
  async updateRows<R = Record<string, unknown>>(update: RowUpdate): Promise<R[]> {
    const { table, key, match = [], columns, rows, where, returning = "key", lockInKeyOrder = false } = update;
    if (rows.length === 0) return [];
    const all = [key, ...match, ...columns];
    const locked = lockInKeyOrder
      ? `WITH locked AS MATERIALIZED (SELECT ${key.name} FROM ${table} WHERE ${key.name} = ANY($1::${key.type}[]) ORDER BY ${key.name} FOR UPDATE) `
      : "";
    const conditions = [
      ...[key, ...match].map((c) => `${table}.${c.name} = v.${c.name}`),
      ...(lockInKeyOrder ? [`${table}.${key.name} = locked.${key.name}`] : []),
      ...(where !== undefined ? [where] : []),
    ];
    return (await this.executor.all(
      `${locked}UPDATE ${table} SET ${columns.map((c) => `${c.name} = v.${c.name}`).join(", ")}
       FROM ${unnest(all, 0)} AS v(${all.map((c) => c.name).join(", ")})${lockInKeyOrder ? ", locked" : ""}
       WHERE ${conditions.join(" AND ")}
       RETURNING ${returning === "row" ? `${table}.*` : `${table}.${key.name}`}`,
      columnArrays(rows, all),
    )) as R[];
  }

  atomically<T>(work: (db: SqlDb) => Promise<T>): Promise<T> {
    return this.executor.atomically((executor) => work(executor === this.executor ? this : new PgSqlDb(executor)));
  }

  unread(statements: readonly Promise<unknown>[]): Promise<void> {
    return this.executor.unread(statements);
  }
}
