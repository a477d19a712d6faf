import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startTidings } from "../helpers/tidings.js";

describe("the master key's errors say what to do", () => {
  it("PostgreSQL without TIDINGS_MASTER_KEY: how to make one", async () => {
    await expect(
      startTidings({ env: { TIDINGS_DATABASE_URL: "postgres://postgres@127.0.0.1:1/unused" } }),
    ).rejects.toThrow(/TIDINGS_MASTER_KEY is required with TIDINGS_DATABASE_URL.*openssl rand -base64 32/);
  });

  it("a different key than the database was sealed with: says so, not GCM's 'unable to authenticate data'", async () => {
    const first = await startTidings();
    const dataDir = first.dataDir;
    await first.stop();
    try {
      const wrongKey = randomBytes(32).toString("base64");
      await expect(startTidings({ dataDir, env: { TIDINGS_MASTER_KEY: wrongKey } })).rejects.toThrow(
        /the master key does not match the one this database was sealed with/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
