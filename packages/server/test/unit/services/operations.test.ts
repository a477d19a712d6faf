import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TidingsError } from "../../../src/core/errors.js";
import type { SecretBox } from "../../../src/crypto/secret-box.js";
import { EventBus } from "../../../src/services/event-bus.js";
import { OperationService } from "../../../src/services/operations.js";
import { Outbox } from "../../../src/services/outbox.js";
import { WorkSignals } from "../../../src/services/work-signals.js";
import type { SqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { memoryStoreWithProject } from "../../helpers/memory-store.js";

const projectId = "p1";
let clock: FakeClock;
let store: SqliteStore;
let operations: OperationService;

beforeEach(async () => {
  clock = new FakeClock();
  store = await memoryStoreWithProject(clock, projectId);
  operations = new OperationService({
    store,
    outbox: new Outbox(() => undefined, new EventBus()),
    clock,
    box: {} as SecretBox,
    uriRules: { allowHttp: true, policy: { allow: () => true } as never },
    log: pino({ level: "silent" }),
    signals: new WorkSignals(),
  });
});
afterEach(async () => {
  await store.close();
});

const statusOf = (outcome: PromiseSettledResult<unknown>) =>
  outcome.status === "fulfilled" ? "ok" : outcome.reason instanceof TidingsError ? outcome.reason.status : "error";

describe("OperationService, endings that share a transaction", () => {
  it("ends each operation once: of two endings of one operation in one batch the first wins, the second is 409", async () => {
    const a = await operations.create(projectId, { type: "export" });
    const b = await operations.create(projectId, { type: "export" });
    // Asked in one turn, they go in one batch (one transaction, one statement that ends them).
    const outcomes = await Promise.allSettled([
      operations.complete(projectId, a.id, { response: { rows: 1 } }),
      operations.fail(projectId, a.id, { error: { code: 13, message: "late" } }),
      operations.cancel(projectId, b.id),
      operations.complete(projectId, "missing", {}),
      operations.complete("other-project", b.id, {}),
      operations.cancel(projectId, b.id),
    ]);
    expect(outcomes.map(statusOf)).toEqual([
      "ok",
      "FAILED_PRECONDITION",
      "ok",
      "NOT_FOUND",
      "NOT_FOUND",
      "FAILED_PRECONDITION",
    ]);
    expect(await store.operations.get(projectId, a.id)).toMatchObject({ state: "succeeded", response: { rows: 1 } });
    expect(await store.operations.get(projectId, b.id)).toMatchObject({ state: "cancelled" });
    // One event each, in the order asked.
    const events = await store.events.list(projectId, {}, { pageSize: 10, offset: 0 });
    expect(events.items.map((e) => [e.type, e.payload.data.id])).toEqual([
      ["export.succeeded", `operations/${a.id}`],
      ["export.cancelled", `operations/${b.id}`],
    ]);
  });
});
