// Deterministic write counts on a better-sqlite3 connection, for bench/store-counts.mjs: statements executed,
// rows written (inserted, updated or deleted) per table, and index entries written per index. Index entries are
// counted by TEMP triggers generated from each index's columns and partial predicate: an insert or a delete
// writes one entry in every index whose predicate the row meets; an update writes none where the indexed columns
// and the predicate's verdict are unchanged, one where the row enters or leaves a partial index, two (a delete and
// an insert) where an indexed column changed. A WITHOUT ROWID table's rows are its primary-key b-tree: rows, not
// index entries. Counting slows the connection down; use it for counts, never for time.

/** Table names that are bookkeeping, not the workload. */
const SKIP = /^(sqlite_|schema_migrations$)/;

const quote = (name) => `"${name.replaceAll('"', '""')}"`;

/** The predicate of a partial index with its columns read from `row` (NEW or OLD); TRUE for a full index. */
function predicate(indexSql, columns, row) {
  const match = indexSql === null ? null : /\bWHERE\b([\s\S]*)$/i.exec(indexSql);
  if (match === null) return "1";
  // Outside string literals, prefix every bare column name with the row.
  return match[1]
    .split(/('(?:[^']|'')*')/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/\b[A-Za-z_][A-Za-z0-9_]*\b/g, (word) => (columns.has(word) ? `${row}.${quote(word)}` : word)),
    )
    .join("");
}

/**
 * Installs the counters on `db` (TEMP triggers and tables, this connection only) and wraps its statement
 * methods. Returns `read()`, the totals so far: { statements, rows: {table: n}, entries: {index: n} }.
 */
export function installCounters(db, Database) {
  db.pragma("recursive_triggers = ON"); // REPLACE's implicit deletes fire delete triggers only with this on
  db.exec("CREATE TEMP TABLE bench_rows (name TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)");
  db.exec("CREATE TEMP TABLE bench_entries (name TEXT PRIMARY KEY, n INTEGER NOT NULL DEFAULT 0)");
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all()
    .map((r) => r.name)
    .filter((name) => !SKIP.test(name));
  for (const table of tables) {
    db.prepare("INSERT INTO bench_rows (name) VALUES (?)").run(table);
    const columns = new Set(db.pragma(`table_info(${quote(table)})`).map((c) => c.name));
    const withoutRowid = /WITHOUT\s+ROWID/i.test(
      db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(table).sql,
    );
    const indexes = db
      .pragma(`index_list(${quote(table)})`)
      .filter((ix) => !(withoutRowid && ix.origin === "pk"))
      .map((ix) => {
        const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(ix.name)?.sql ?? null;
        const keyColumns = db
          .pragma(`index_xinfo(${quote(ix.name)})`)
          .filter((c) => c.key === 1 && c.name !== null)
          .map((c) => c.name);
        return { name: ix.name, sql, keyColumns };
      });
    const perIndex = (body) =>
      indexes.map((ix) => `UPDATE bench_entries SET n = n + (${body(ix)}) WHERE name = ${`'${ix.name}'`};`).join("\n");
    for (const ix of indexes) db.prepare("INSERT INTO bench_entries (name) VALUES (?)").run(ix.name);
    const when = (ix, row) => `CASE WHEN ${predicate(ix.sql, columns, row)} THEN 1 ELSE 0 END`;
    const changed = (ix) => ix.keyColumns.map((c) => `OLD.${quote(c)} IS NOT NEW.${quote(c)}`).join(" OR ") || "0";
    const rows = `UPDATE bench_rows SET n = n + 1 WHERE name = '${table}';`;
    db.exec(
      `CREATE TEMP TRIGGER ${quote(`bench_insert_${table}`)} AFTER INSERT ON main.${quote(table)} BEGIN ${rows} ${perIndex((ix) => when(ix, "NEW"))} END`,
    );
    db.exec(
      `CREATE TEMP TRIGGER ${quote(`bench_delete_${table}`)} AFTER DELETE ON main.${quote(table)} BEGIN ${rows} ${perIndex((ix) => when(ix, "OLD"))} END`,
    );
    db.exec(
      `CREATE TEMP TRIGGER ${quote(`bench_update_${table}`)} AFTER UPDATE ON main.${quote(table)} BEGIN ${rows} ${perIndex(
        (ix) =>
          `CASE WHEN (${when(ix, "OLD")}) = 1 AND (${when(ix, "NEW")}) = 1 THEN (CASE WHEN ${changed(ix)} THEN 2 ELSE 0 END) ` +
          `WHEN (${when(ix, "OLD")}) + (${when(ix, "NEW")}) = 1 THEN 1 ELSE 0 END`,
      )} END`,
    );
  }

  // Statements: every execution of a prepared statement and every exec() (BEGIN, SAVEPOINT, COMMIT …).
  let statements = 0;
  const statementProto = Object.getPrototypeOf(db.prepare("SELECT 1"));
  const originals = {};
  for (const method of ["run", "get", "all", "iterate"]) {
    const original = statementProto[method];
    originals[method] = original;
    statementProto[method] = function counted(...args) {
      statements++;
      return original.apply(this, args);
    };
  }
  const exec = Database.prototype.exec;
  db.exec = function counted(sql) {
    statements++;
    return exec.call(this, sql);
  };
  const pragma = Database.prototype.pragma;
  db.pragma = function counted(...args) {
    statements++;
    return pragma.apply(this, args);
  };

  const rowsOf = db.prepare("SELECT name, n FROM temp.bench_rows");
  const entriesOf = db.prepare("SELECT name, n FROM temp.bench_entries");
  return {
    read() {
      const before = statements;
      const result = {
        rows: Object.fromEntries(rowsOf.all().map((r) => [r.name, r.n])),
        entries: Object.fromEntries(entriesOf.all().map((r) => [r.name, r.n])),
      };
      statements = before; // reading the counters is not the workload
      return { statements, ...result };
    },
    /** Puts back what counting wrapped: every statement of the process shares the prototype. */
    remove() {
      Object.assign(statementProto, originals);
      delete db.exec;
      delete db.pragma;
    },
  };
}

/** The difference of two `read()`s, per event: totals and the per-table / per-index detail. */
export function perEvent(before, after, events) {
  const diff = (a, b) =>
    Object.fromEntries(
      Object.keys(b)
        .map((k) => [k, (b[k] - (a[k] ?? 0)) / events])
        .filter(([, v]) => v !== 0),
    );
  const rows = diff(before.rows, after.rows);
  const entries = diff(before.entries, after.entries);
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    statements: (after.statements - before.statements) / events,
    rows: sum(rows),
    entries: sum(entries),
    rowsByTable: rows,
    entriesByIndex: entries,
  };
}
