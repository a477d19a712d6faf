// Why SQLite's inserts with keyOf columns hold at most 128 rows (docs/store.md: the lean delivery path): a multi-row
// INSERT … VALUES whose rows each look up a webhook's key in a scalar subquery, beside the same insert with plain
// values after a statement that reads the keys, for growing numbers of rows (~10 s).
//   node bench/sqlite-key-lookups.mjs
import Database from "better-sqlite3";

const db = new Database(":memory:");
db.exec(`CREATE TABLE webhooks (key INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL);
         CREATE TABLE deliveries (key INTEGER, webhook_key INTEGER, state TEXT)`);
const addWebhook = db.prepare("INSERT INTO webhooks (id) VALUES (?)");
for (let i = 0; i < 1000; i++) addWebhook.run(`w${String(i).padStart(4, "0")}`);
const readKeys = db.prepare("SELECT id, key FROM webhooks WHERE id IN (SELECT value FROM json_each(?))");
const webhookOf = (i) => `w${String((i * 7919) % 1000).padStart(4, "0")}`;

/** µs per insert of `n` rows, the rows' webhook key looked up by a subquery (`inInsert`) or read first. */
function timeInsert(n, inInsert) {
  const row = inInsert ? "(?, (SELECT key FROM webhooks WHERE id = ?), 'pending')" : "(?, ?, 'pending')";
  const insert = db.prepare(
    `INSERT INTO deliveries (key, webhook_key, state) VALUES ${new Array(n).fill(row).join(", ")}`,
  );
  const ids = Array.from({ length: n }, (_, i) => webhookOf(i));
  const once = () => {
    if (inInsert) return insert.run(ids.flatMap((id, i) => [i, id]));
    const keys = new Map(readKeys.all(JSON.stringify([...new Set(ids)])).map((r) => [r.id, r.key]));
    return insert.run(ids.flatMap((id, i) => [i, keys.get(id)]));
  };
  const repeats = Math.max(20, Math.round(20_000 / n));
  for (let r = 0; r < repeats / 4; r++) once();
  const start = process.hrtime.bigint();
  for (let r = 0; r < repeats; r++) once();
  return Number(process.hrtime.bigint() - start) / 1e3 / repeats;
}

console.log("rows   subquery per row (µs/row)   keys read first (µs/row)");
for (const n of [1, 8, 32, 64, 128, 256, 1000, 4000]) {
  const [inInsert, readFirst] = [timeInsert(n, true) / n, timeInsert(n, false) / n];
  console.log(`${String(n).padStart(4)}   ${inInsert.toFixed(2).padStart(25)}   ${readFirst.toFixed(2).padStart(24)}`);
}
