import { describe, expect, it } from "vitest";
import { toRpcStatus } from "../../../src/web/rpc-status.js";
import { StoreFullError, StoreUnavailableError } from "../../../src/store/errors.js";
import { PgExecutor } from "../../../src/store/postgres/executor.js";

const failing = (err: unknown) => new PgExecutor({ query: async () => Promise.reject(err) }, () => {});

describe("a full disk is a 507, never a 500", () => {
  it("PostgreSQL's disk_full (53100) is a StoreFullError; out of reach is StoreUnavailableError; a bug stays itself", async () => {
    await expect(
      failing(Object.assign(new Error("could not extend file"), { code: "53100" })).query("INSERT 1"),
    ).rejects.toBeInstanceOf(StoreFullError);
    await expect(
      failing(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })).query("SELECT 1"),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    const bug = Object.assign(new Error("syntax error"), { code: "42601" });
    await expect(failing(bug).query("SELEC 1")).rejects.toBe(bug);
  });

  it("answers a full database or data dir with 507 RESOURCE_EXHAUSTED naming the cause", () => {
    for (const err of [
      new StoreFullError(new Error("database or disk is full")),
      Object.assign(new Error("write failed"), { code: "ENOSPC" }),
    ]) {
      const { code, body } = toRpcStatus(err);
      expect(code).toBe(507);
      expect(body.error).toMatchObject({ code: 507, status: "RESOURCE_EXHAUSTED" });
      expect(body.error.message).toContain("disk is full");
    }
    expect(toRpcStatus(new StoreUnavailableError(new Error("down"))).code).toBe(503);
  });
});
