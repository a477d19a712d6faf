/**
 * SQL written once for both drivers (docs/store.md: statements written once). A statement's text names its
 * parameters `:name` and is bound from an object; a list parameter is a JS array. What the two dialects spell
 * differently goes through `Dialect`; the few statements that are a different algorithm (the delivery claim, batch
 * lines, the configured API key) and the DDL stay in the drivers.
 */
export type Params = Record<string, unknown>;

/** A column of a bulk insert, with the type PostgreSQL needs to read an array of its values. */
export interface Column {
  name: string;
  type: "text" | "bigint" | "int" | "float8";
  /**
   * The value given is the id of a row of this table (so `type` is the id's, text), and the column takes that row's
   * key, looked up by the insert itself: one index seek per row instead of a statement of its own (docs/store.md:
   * the lean delivery path). No such row (or a NULL id) gives NULL.
   */
  keyOf?: "projects" | "webhooks";
}

/** The value a keyOf column stores: the key of the row whose id is `id` (a placeholder or a column). */
export const keyOf = (table: NonNullable<Column["keyOf"]>, id: string): string =>
  `(SELECT key FROM ${table} WHERE id = ${id})`;

/**
 * Updates one row of `table` per entry of `rows` (its key first, then `match`'s values, then `columns`'):
 * `SET column = value` for each column, where the table's `key` column equals the entry's key, each `match` column
 * equals its value and `where` (on the table's columns) holds.
 */
export interface RowUpdate {
  table: string;
  key: Column;
  /** Columns a row must already hold to change, compared and not set. */
  match?: readonly Column[];
  columns: readonly Column[];
  rows: readonly unknown[][];
  where?: string;
  /** What comes back of each changed row: its key (as the key column's name), or the whole row as it now is. */
  returning?: "key" | "row";
  /**
   * Lock the rows in key order before changing them (PostgreSQL; SQLite has one writer): two updates sharing rows
   * then cannot deadlock, whatever order their plans would visit the rows in.
   */
  lockInKeyOrder?: boolean;
}

export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** `column` is one of the values of the list parameter `:param`. */
  inList(column: string, param: string, type: Column["type"]): string;
  /** The smaller of two values (SQLite's scalar MIN, PostgreSQL's LEAST). */
  least(a: string, b: string): string;
  /** Appended to a claim's SELECT: skip rows another transaction has locked (PostgreSQL); SQLite has one writer. */
  readonly skipLocked: string;
  /**
   * Appended to a read whose rows the transaction goes on to change: locks them until it ends (PostgreSQL). On SQLite
   * BEGIN IMMEDIATE already holds the database's one write lock, so a plain read is a locked read.
   */
  readonly forUpdate: string;
  /** Boolean true: a BOOLEAN on PostgreSQL, the integer 1 on SQLite (whose partial indexes say `= 1`). */
  readonly true: string;
  /**
   * Columns a new row takes from SQL rather than from a parameter: on SQLite its `key`, one more than any key in
   * `tables` (SQLite's only identity column is the rowid); nothing on PostgreSQL, whose identity column gives it.
   */
  newKey(tables: readonly string[]): Record<string, string>;
}

export interface SqlDb {
  readonly dialect: Dialect;
  all<R>(sql: string, params?: Params): Promise<R[]>;
  first<R>(sql: string, params?: Params): Promise<R | undefined>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, params?: Params): Promise<number>;
  /**
   * Inserts `rows` (values in `columns`' order) in as few statements as the driver allows. `tail` follows the
   * rows (`ON CONFLICT …`, `RETURNING …`); rows returned come back in no particular order.
   */
  insertRows(
    table: string,
    columns: readonly Column[],
    rows: readonly unknown[][],
    tail?: string,
  ): Promise<Record<string, unknown>[]>;
  /** Applies a RowUpdate; returns its `returning` of each row it changed. */
  updateRows<R = Record<string, unknown>>(update: RowUpdate): Promise<R[]>;
  /** Several statements as one: inside the caller's transaction, else in one of their own. */
  atomically<T>(work: (db: SqlDb) => Promise<T>): Promise<T>;
  /**
   * Writes already asked for (each a promise of this SqlDb's), whose answers nobody reads. PostgreSQL's transaction
   * does not wait for them: its COMMIT goes out behind them, in the same round trip, and fails if one of them did
   * (docs/store.md: round trips). SQLite ran them when they were asked for. Ask for them without awaiting in between,
   * or the COMMIT could overtake one.
   */
  unread(statements: readonly Promise<unknown>[]): Promise<void>;
}

/**
 * Inserts one row: each parameter into the column of its name, and each of `computed` (column to SQL expression)
 * from SQL. The statement's text is the same for every row of a table, so it is compiled once.
 */
export function insertRow(
  db: SqlDb,
  table: string,
  params: Params,
  computed: Record<string, string> = {},
): Promise<number> {
  const columns = [...Object.keys(params), ...Object.keys(computed)];
  const values = [...Object.keys(params).map((c) => `:${c}`), ...Object.values(computed)];
  return db.run(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${values.join(", ")})`, params);
}

/** Times are BIGINT milliseconds, which refuse a fraction (retry times carry jitter): rounded on their way in. */
export const ms = (t: number): number => Math.round(t);
export const optMs = (t: number | undefined): number | null => (t === undefined ? null : Math.round(t));

/** Numbers from either driver: pg hands BIGINT back as strings. */
export const num = (value: unknown): number => Number(value);
export const optNum = (value: unknown): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);
