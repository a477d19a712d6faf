import { describe, expect, it } from "vitest";
import { LATENCY_BUCKET_COUNT, latencyBucket, minuteOf, tallyRound } from "../../../src/core/attempt-stats.js";
import { attemptsToKeep, type Attempt, type DeliverySettlement } from "../../../src/core/deliveries.js";
import type { SettlementRound } from "../../../src/store/store.js";
import {
  batch,
  batchLines,
  delivery,
  event,
  interaction,
  operation,
  PAGE,
  T0,
  webhook,
  written,
  type StoreFixture,
} from "./fixtures.js";

const MINUTE = 60_000;
const M0 = minuteOf(T0);

const attempt = (
  deliveryId: string,
  attemptNumber: number,
  startedAt: number,
  latencyMs: number,
  statusCode?: number,
): Attempt => ({
  deliveryId,
  attemptNumber,
  startedAt,
  latencyMs,
  ...(statusCode !== undefined ? { statusCode } : { error: "connection refused" }),
});

const settled = (
  id: string,
  state: DeliverySettlement["state"],
  attemptCount: number,
  lastError?: string,
): DeliverySettlement => ({
  id,
  endpointKey: "origin:https://a.example",
  state,
  attemptCount,
  nextAttemptAt: T0 + 10 * MINUTE,
  attemptedAt: T0,
  lastLatencyMs: 1,
  ...(lastError !== undefined ? { lastError } : {}),
});

/** Bucket counts of these latencies. */
const buckets = (latencies: number[]) => {
  const counts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  for (const l of latencies) counts[latencyBucket(l)]! += 1;
  return counts;
};

/**
 * A settle round as the engine makes it (core: tallyRound, attemptsToKeep), with no webhook stamps or disable
 * candidates: each attempt is `[its delivery's webhook, the attempt]`.
 */
const round = (
  projectId: string,
  settlements: DeliverySettlement[],
  attempts: [string | undefined, Attempt][],
): SettlementRound => ({
  settlements,
  keptAttempts: attemptsToKeep(attempts.map(([, a]) => a)),
  ...tallyRound(
    attempts.map(([webhookId, attempt]) => ({ projectId, webhookId, attempt })),
    settlements,
  ),
  webhooksSucceeded: [],
  webhooksAtRisk: [],
});

export function describeStats(f: StoreFixture): void {
  describe("stats (the dashboard's and /metrics' counts)", () => {
    it("adds up the tallies of each round, by webhook, minute, outcome and latency bucket, as settle writes them", async () => {
      const { store, projectId } = f;
      const hook = webhook(projectId);
      const other = webhook(projectId);
      for (const h of [hook, other]) await store.webhooks.insert(h);
      const { deliveries } = await written(store, event(projectId), (e) => [
        delivery(e, { webhookId: hook.id }),
        delivery(e, { webhookId: hook.id }),
        delivery(e, { webhookId: other.id }),
        delivery(e, { uri: "https://dyn.example/x" }),
      ]);
      const [a, b, c, dyn] = deliveries;
      const first: [string | undefined, Attempt][] = [
        [hook.id, attempt(a!.id, 1, T0, 3, 200)],
        [hook.id, attempt(b!.id, 1, T0 + 1000, 40, 500)],
        [other.id, attempt(c!.id, 1, T0 + MINUTE, 20_000)],
        [undefined, attempt(dyn!.id, 1, T0 + 2000, 7, 204)],
      ];
      const settlements = [
        settled(a!.id, "succeeded", 1),
        settled(b!.id, "pending", 1, "HTTP 500"),
        settled(c!.id, "failed", 1, "timeout"),
        settled(dyn!.id, "succeeded", 1),
      ];
      await store.deliveries.settle(round(projectId, settlements, first), T0 + 2 * MINUTE);
      await store.deliveries.settle(
        round(projectId, [settled(b!.id, "succeeded", 2)], [[hook.id, attempt(b!.id, 2, T0 + 3 * MINUTE, 30, 200)]]),
        T0 + 3 * MINUTE,
      );

      const byWebhook = await store.stats.byWebhook(projectId, [hook.id, other.id], M0, M0 + 60);
      expect(byWebhook.sort((x, y) => (x.webhookId === hook.id ? -1 : y.webhookId === hook.id ? 1 : 0))).toEqual([
        { webhookId: hook.id, succeeded: 2, retrying: 1, failed: 0, buckets: buckets([3, 40, 30]) },
        { webhookId: other.id, succeeded: 0, retrying: 0, failed: 1, buckets: buckets([20_000]) },
      ]);
      // The window is in whole minutes, [since, until).
      expect(await store.stats.byWebhook(projectId, [hook.id], M0 + 1, M0 + 3)).toEqual([]);
      expect(await store.stats.byWebhook("other-project", [hook.id], M0, M0 + 60)).toEqual([]);

      // Per minute, static and dynamic targets together, in order; minutes without attempts left out.
      expect(await store.stats.byMinute(projectId, M0, M0 + 60)).toEqual([
        { minute: M0, succeeded: 2, retrying: 1, failed: 0, buckets: buckets([3, 7, 40]) },
        { minute: M0 + 1, succeeded: 0, retrying: 0, failed: 1, buckets: buckets([20_000]) },
        { minute: M0 + 3, succeeded: 1, retrying: 0, failed: 0, buckets: buckets([30]) },
      ]);
      expect(await store.stats.byMinute(projectId, M0 + 4, M0 + 60)).toEqual([]);

      // The last failure of each webhook, the later one winning; a success does not erase it.
      const errors = await store.stats.lastErrors(projectId, [hook.id, other.id]);
      expect(errors.sort((x, y) => x.webhookId.localeCompare(y.webhookId))).toEqual(
        [
          { webhookId: hook.id, deliveryId: b!.id, error: "HTTP 500", at: T0 + 1000 },
          { webhookId: other.id, deliveryId: c!.id, error: "timeout", at: T0 + MINUTE },
        ].sort((x, y) => x.webhookId.localeCompare(y.webhookId)),
      );
      expect(await store.stats.lastErrors("other-project", [hook.id])).toEqual([]);
    });

    it("counts the backlog (queued, and born leased to an engine), webhooks by state, and what is not finished yet", async () => {
      const { store, projectId } = f;
      expect(await store.stats.backlog()).toEqual({ pending: 0 });
      await store.webhooks.insert(webhook(projectId));
      await store.webhooks.insert(webhook(projectId, { state: "disabled_due_to_failed_deliveries" }));
      const worker = await store.workers.register("a", T0 + 60_000);
      const old = await written(store, event(projectId, { createdAt: T0 - 5000 }), (e) => [
        delivery(e, { uri: "https://a.example/1" }),
        delivery(e, { uri: "https://b.example/1" }),
      ]);
      await written(store, event(projectId, { createdAt: T0 - 9000 }), (e) => [delivery(e)], {
        lease: { worker, coveredFrom: null },
      });
      await written(store, event(projectId, { createdAt: T0 }), (e) => [delivery(e)]);
      await store.deliveries.settle(round(projectId, [settled(old.deliveries[0]!.id, "succeeded", 1)], []), T0);
      expect(await store.stats.backlog()).toEqual({ pending: 3, oldestCreatedAt: T0 - 9000 });
      expect((await store.stats.webhookStates()).sort((a, b) => a.state.localeCompare(b.state))).toEqual([
        { state: "disabled_due_to_failed_deliveries", count: 1 },
        { state: "enabled", count: 1 },
      ]);

      await store.operations.insert(operation(projectId));
      await store.operations.insert(operation(projectId, { state: "succeeded" }));
      const running = batch(projectId, { state: "BATCH_STATE_RUNNING", requestCount: 3, failedRequestCount: 1 });
      await store.batches.insert(running, batchLines());
      await store.batches.insert(
        batch(projectId, { state: "BATCH_STATE_SUCCEEDED", requestCount: 3, successfulRequestCount: 3 }),
        batchLines(),
      );
      await store.batchLines.record(running.id, [{ index: 0, key: "a", state: "succeeded", result: "{}" }], T0);
      await store.interactions.insert(interaction(projectId, { status: "requires_action" }));
      await store.interactions.insert(interaction(projectId, { status: "requires_action" }));
      await store.interactions.insert(interaction(projectId, { status: "completed", endedAt: T0 }));
      const byKindAndState = (a: { kind: string; state: string }, b: { kind: string; state: string }) =>
        a.kind.localeCompare(b.kind) || a.state.localeCompare(b.state);
      expect((await store.stats.unfinishedOperations()).sort(byKindAndState)).toEqual([
        { kind: "batch", state: "BATCH_STATE_RUNNING", count: 1 },
        { kind: "custom", state: "running", count: 1 },
        { kind: "interaction", state: "requires_action", count: 2 },
      ]);
      // The running batch: 3 lines, one failed at input, one succeeded, one to go.
      expect(await store.stats.unfinishedBatchLines()).toEqual([
        { state: "pending", count: 1 },
        { state: "succeeded", count: 1 },
        { state: "failed", count: 1 },
      ]);
    });

    it("lists deliveries and events newest first when asked", async () => {
      const { store, projectId } = f;
      const hook = webhook(projectId);
      await store.webhooks.insert(hook);
      const events = [];
      for (const createdAt of [T0, T0 + 1, T0 + 2])
        events.push(
          (await written(store, event(projectId, { createdAt }), (e) => [delivery(e, { webhookId: hook.id })])).event,
        );
      const newest = (await store.events.list(projectId, { newestFirst: true }, { pageSize: 2, offset: 0 })).items.map(
        (e) => e.id,
      );
      expect(newest).toEqual([events[2]!.id, events[1]!.id]);
      const deliveries = await store.deliveries.list(projectId, { webhookId: hook.id, newestFirst: true }, PAGE);
      expect(deliveries.items.map((d) => d.eventId)).toEqual([events[2]!.id, events[1]!.id, events[0]!.id]);
    });
  });
}
