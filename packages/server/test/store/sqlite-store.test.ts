import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { describeStoreConformance } from "./conformance.js";
import { describeFileStoreConformance } from "./file-store-conformance.js";

let dir: string | undefined;
describeStoreConformance(
  "SQLite",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "tidings-store-"));
    return new SqliteStore(join(dir, "tidings.db"));
  },
  async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);

describeFileStoreConformance(
  "SQLite",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "tidings-store-"));
    return new SqliteStore(join(dir, "tidings.db"));
  },
  async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
);
