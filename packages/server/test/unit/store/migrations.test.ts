import { describe, expect, it } from "vitest";
import { DatabaseTooNewError, migrationStatus, pendingMigrations } from "../../../src/store/migrations.js";

const m = (version: number) => ({ version, name: `m${version}`, sql: "" });

describe("pendingMigrations", () => {
  it("returns what is not applied yet, in order", () => {
    expect(pendingMigrations([], [m(2), m(1), m(3)]).map((x) => x.version)).toEqual([1, 2, 3]);
    expect(pendingMigrations([1, 2], [m(1), m(2), m(3)]).map((x) => x.version)).toEqual([3]);
    expect(pendingMigrations([1, 2, 3], [m(1), m(2), m(3)])).toEqual([]);
  });

  it("refuses a database that has seen a migration this release does not know", () => {
    expect(() => pendingMigrations([1, 2, 4], [m(1), m(2), m(3)])).toThrow(DatabaseTooNewError);
    expect(() => pendingMigrations([4], [m(1)])).toThrow(
      /schema version 4, newer than this release of Tidings knows \(1\)/,
    );
  });

  it("reports each known migration as applied (when) or pending", () => {
    expect(migrationStatus(new Map([[1, 100]]), [m(1), m(2)])).toEqual([
      { version: 1, name: "m1", appliedAt: 100 },
      { version: 2, name: "m2" },
    ]);
  });
});
