import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { readMigrations } from "../../../src/store/migration-files.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A migrations folder holding `files` (name → text), as the URL readMigrations takes. */
function folderWith(files: Record<string, string>): URL {
  const folder = mkdtempSync(join(tmpdir(), "tidings-migrations-"));
  folders.push(folder);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return pathToFileURL(`${folder}/`);
}

describe("readMigrations", () => {
  it("reads NNNN-name.sql files in number order: the number is the version, the words the recorded name", () => {
    const folder = folderWith({
      "0002-lease-columns.sql": "-- why\nALTER TABLE t ADD COLUMN c;\n",
      "0001-baseline.sql": "CREATE TABLE t (id TEXT);\n",
      "index.ts": "export {};\n",
    });
    expect(readMigrations(folder)).toEqual([
      { version: 1, name: "baseline", sql: "CREATE TABLE t (id TEXT);\n" },
      { version: 2, name: "lease columns", sql: "-- why\nALTER TABLE t ADD COLUMN c;\n" },
    ]);
  });

  it("refuses a gap or two files with one number, naming the number", () => {
    expect(() => readMigrations(folderWith({ "0001-a.sql": "", "0003-c.sql": "" }))).toThrow(
      /0003-c\.sql .*migration 2 is missing or has two files/,
    );
    expect(() => readMigrations(folderWith({ "0001-a.sql": "", "0001-b.sql": "" }))).toThrow(
      /0001-b\.sql .*migration 2 is missing or has two files/,
    );
  });

  it("refuses a .sql file not named NNNN-lowercase-words.sql", () => {
    expect(() => readMigrations(folderWith({ "0001-Baseline.sql": "" }))).toThrow(/NNNN-lowercase-words\.sql/);
    expect(() => readMigrations(folderWith({ "1-baseline.sql": "" }))).toThrow(/NNNN-lowercase-words\.sql/);
  });
});
