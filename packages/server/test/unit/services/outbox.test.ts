import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewEvent } from "../../../src/core/events.js";
import { EventBus } from "../../../src/services/event-bus.js";
import { Outbox } from "../../../src/services/outbox.js";
import type { SqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { memoryStoreWithProject } from "../../helpers/memory-store.js";

const projectId = "p1";
let clock: FakeClock;
let store: SqliteStore;

beforeEach(async () => {
  clock = new FakeClock();
  store = await memoryStoreWithProject(clock, projectId);
});
afterEach(async () => {
  await store.close();
});

const event = (i: number): NewEvent => ({
  projectId,
  type: "export.succeeded",
  payload: { type: "export.succeeded", version: "v1", timestamp: "t", data: { id: `operations/${i}` } },
  createdAt: clock.now(),
});

describe("Outbox, a large fan-out", () => {
  it("writes thousands of deliveries in one transaction, letting the event loop run between chunks", async () => {
    for (let i = 0; i < 500; i++) {
      await store.webhooks.insert({
        id: `w${i}`,
        projectId,
        name: "",
        uri: `https://w${i}.example/hook`,
        subscribedEvents: ["*"],
        state: "enabled",
        signingScheme: "v1",
        sealedSecrets: "s",
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
    }
    const outbox = new Outbox(() => undefined, new EventBus());
    let turns = 0;
    const countTurns = () => {
      turns++;
      if (turns < 100) setImmediate(countTurns);
    };
    const published = await store.transaction(async (tx) => {
      setImmediate(countTurns);
      const written = await outbox.writeMany(
        tx,
        Array.from({ length: 6 }, (_, i) => ({ event: event(i), target: { kind: "subscribers" } as const })),
        clock.now(),
      );
      return { written, turnsDuring: turns };
    });
    // 3,000 deliveries, and the loop turned while they were written: other requests were answered meanwhile.
    expect(published.written.reduce((n, p) => n + p.queued, 0)).toBe(3000);
    expect(published.turnsDuring).toBeGreaterThanOrEqual(2);
    expect((await store.deliveries.list(projectId, {}, { pageSize: 1, offset: 0 })).items).toHaveLength(1);
  });
});
