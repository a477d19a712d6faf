import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { describeStoreConformance } from "./conformance/index.js";

/** Each store gets a fresh file of its own. */
let dir: string | undefined;
const open = async () => {
  dir = mkdtempSync(join(tmpdir(), "tidings-store-"));
  return new SqliteStore(join(dir, "tidings.db"), { now: () => Date.now() });
};
const cleanup = async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
};

describeStoreConformance("SQLite", open, cleanup);
