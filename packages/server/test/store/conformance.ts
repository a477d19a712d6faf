import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Batch, BatchLine } from "../../src/core/batches.js";
import type { StoredEvent } from "../../src/core/events.js";
import { newEventId, newResourceId } from "../../src/core/ids.js";
import { finishOperation, type Operation } from "../../src/core/operations.js";
import type { Store, WebhookRecord } from "../../src/store/store.js";

const T0 = Date.parse("2026-05-04T12:00:00Z");
const PAGE = { pageSize: 50, offset: 0 };

/**
 * The contract every Store driver meets. Run it against each driver: the engine and the API rely on
 * exactly these behaviours, not on any one database.
 */
export function describeStoreConformance(name: string, open: () => Promise<Store>, cleanup: () => Promise<void> = async () => {}): void {
  describe(`${name} store conformance`, () => {
    let store: Store;
    let projectId: string;

    beforeEach(async () => {
      store = await open();
      projectId = newResourceId();
      await store.createProject({ id: projectId, displayName: "p", isDefault: false, createdAt: T0 });
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const webhook = (overrides: Partial<WebhookRecord> = {}): WebhookRecord => ({
      id: newResourceId(),
      projectId,
      name: "",
      uri: "https://example.com/hook",
      subscribedEvents: ["*"],
      state: "enabled",
      sealedSecrets: "sealed",
      createdAt: T0,
      updatedAt: T0,
      ...overrides,
    });
    const operation = (overrides: Partial<Operation> = {}): Operation => ({
      id: newResourceId(),
      projectId,
      type: "export",
      state: "running",
      metadata: {},
      createdAt: T0,
      updatedAt: T0,
      ...overrides,
    });
    const finish = (op: Operation, now: number) =>
      store.finishOperation(projectId, op.id, (current) => {
        const { operation: next, event } = finishOperation(current, { kind: "complete" }, now);
        const stored: StoredEvent = { id: newEventId(), projectId, type: event.type, operation: `operations/${op.id}`, payload: event, createdAt: now };
        return { operation: next, event: stored };
      }, now);

    it("maps API key hashes to projects and finds the default project", async () => {
      await store.addApiKey(projectId, "hash-1", T0);
      await store.addApiKey(projectId, "hash-1", T0);
      expect(await store.projectIdForKeyHash("hash-1")).toBe(projectId);
      expect(await store.projectIdForKeyHash("nope")).toBeUndefined();
      expect(await store.getDefaultProject()).toBeUndefined();
      const def = { id: newResourceId(), displayName: "default", isDefault: true, createdAt: T0 };
      await store.createProject(def);
      expect(await store.getDefaultProject()).toEqual(def);
    });

    it("stores, pages, updates and deletes webhooks, scoped to their project", async () => {
      const hooks = [webhook({ createdAt: T0 }), webhook({ createdAt: T0 + 1 }), webhook({ createdAt: T0 + 2 })];
      for (const h of hooks) await store.insertWebhook(h);
      const first = await store.listWebhooks(projectId, { pageSize: 2, offset: 0 });
      expect(first.items.map((h) => h.id)).toEqual([hooks[0]!.id, hooks[1]!.id]);
      expect(first.nextPageToken).toBeDefined();
      const second = await store.listWebhooks(projectId, { pageSize: 2, offset: 2 });
      expect(second.items.map((h) => h.id)).toEqual([hooks[2]!.id]);
      expect(second.nextPageToken).toBeUndefined();
      await store.updateWebhook({ ...hooks[0]!, name: "renamed", subscribedEvents: ["batch.*"], lastSuccessAt: T0 + 5 });
      expect(await store.getWebhook(projectId, hooks[0]!.id)).toMatchObject({ name: "renamed", subscribedEvents: ["batch.*"], lastSuccessAt: T0 + 5 });
      expect(await store.getWebhook("other-project", hooks[0]!.id)).toBeUndefined();
      expect(await store.deleteWebhook("other-project", hooks[0]!.id)).toBe(false);
      expect(await store.deleteWebhook(projectId, hooks[0]!.id)).toBe(true);
      expect(await store.getWebhook(projectId, hooks[0]!.id)).toBeUndefined();
    });

    it("finishes an operation with its event and deliveries in one transaction", async () => {
      const subscribed = webhook({ subscribedEvents: ["export.*"] });
      const unsubscribed = webhook({ subscribedEvents: ["batch.succeeded"] });
      const disabled = webhook({ state: "disabled" });
      for (const h of [subscribed, unsubscribed, disabled]) await store.insertWebhook(h);
      const op = operation();
      await store.insertOperation(op);
      const result = await finish(op, T0 + 10);
      expect(result?.operation.state).toBe("succeeded");
      expect((await store.getOperation(projectId, op.id))?.state).toBe("succeeded");
      const deliveries = await store.listDeliveries(projectId, { eventId: result!.event.id }, PAGE);
      expect(deliveries.items.map((d) => d.webhookId)).toEqual([subscribed.id]);
      expect(deliveries.items[0]).toMatchObject({ state: "pending", attemptCount: 0, nextAttemptAt: T0 + 10, windowStartAt: T0 + 10 });
      expect(await store.nextDueAt()).toBe(T0 + 10);
    });

    it("can hand an operation's new deliveries to the caller, leased, instead of queueing them", async () => {
      const hook = webhook({ sealedSecrets: "sealed-x" });
      await store.insertWebhook(hook);
      const op = operation();
      await store.insertOperation(op);
      const result = await store.finishOperation(projectId, op.id, (current) => {
        const { operation: next, event } = finishOperation(current, { kind: "complete", outputFileUri: "files/o" }, T0 + 10);
        return { operation: next, event: { id: newEventId(), projectId, type: event.type, operation: `operations/${op.id}`, payload: event, createdAt: T0 + 10 } };
      }, T0 + 10, T0 + 60_000);
      expect(result!.deliveries).toHaveLength(1);
      const [handed] = result!.deliveries;
      expect(handed).toMatchObject({ webhookId: hook.id, sealedSecrets: "sealed-x", endpointKey: `webhook:${hook.id}`, eventId: result!.event.id, attemptCount: 0 });
      expect(JSON.parse(handed!.body)).toEqual(result!.event.payload);
      // Nobody else may claim it while the lease lasts; after it, it is due like any other.
      expect(await store.claimDueDeliveries(T0 + 59_999, T0 + 120_000, 10, [])).toEqual([]);
      expect((await store.claimDueDeliveries(T0 + 60_000, T0 + 120_000, 10, [])).map((d) => d.id)).toEqual([handed!.id]);
      // Without a lease, deliveries go to the queue and nothing is handed back.
      const plain = operation();
      await store.insertOperation(plain);
      expect((await finish(plain, T0 + 20))?.deliveries).toEqual([]);
    });

    it("writes nothing when the decision throws", async () => {
      await store.insertWebhook(webhook());
      const op = operation();
      await store.insertOperation(op);
      await finish(op, T0 + 10);
      await expect(finish(op, T0 + 20)).rejects.toThrow(/already succeeded/);
      expect((await store.listEvents(projectId, {}, PAGE)).items).toHaveLength(1);
      expect((await store.listDeliveries(projectId, {}, PAGE)).items).toHaveLength(1);
      expect(await finish(operation({ id: "missing" }), T0)).toBeUndefined();
    });

    it("sends a dynamic operation's events to its own URIs instead of the static webhooks", async () => {
      await store.insertWebhook(webhook());
      const op = operation({ webhookConfig: { uris: ["https://a.example/x", "https://b.example/y"], user_metadata: { k: 1 } } });
      await store.insertOperation(op);
      expect((await store.getOperation(projectId, op.id))?.webhookConfig).toEqual(op.webhookConfig);
      const result = await finish(op, T0 + 1);
      const deliveries = await store.listDeliveries(projectId, { eventId: result!.event.id }, PAGE);
      expect(deliveries.items.map((d) => d.uri).sort()).toEqual(["https://a.example/x", "https://b.example/y"]);
      expect(deliveries.items.every((d) => d.webhookId === undefined)).toBe(true);
    });

    it("leases due deliveries once, skips full endpoints, and settles attempts in a batch", async () => {
      const a = webhook();
      const b = webhook();
      await store.insertWebhook(a);
      await store.insertWebhook(b);
      const op = operation();
      await store.insertOperation(op);
      await finish(op, T0);
      expect(await store.claimDueDeliveries(T0 - 1, T0 + 1000, 10, [])).toHaveLength(0);
      const skipped = await store.claimDueDeliveries(T0, T0 + 1000, 10, [`webhook:${a.id}`]);
      expect(skipped.map((d) => d.webhookId)).toEqual([b.id]);
      expect(skipped[0]!.body).toContain('"export.succeeded"');
      expect(skipped[0]!.sealedSecrets).toBe("sealed");
      const rest = await store.claimDueDeliveries(T0, T0 + 1000, 10, []);
      expect(rest.map((d) => d.webhookId)).toEqual([a.id]);
      expect(await store.claimDueDeliveries(T0 + 999, T0 + 2000, 10, [])).toHaveLength(0);

      const attempt = (deliveryId: string, statusCode: number) => ({ deliveryId, attemptNumber: 1, startedAt: T0, statusCode, latencyMs: 3.5, requestHeaders: { "webhook-id": "x" } });
      const toDisable = await store.recordAttempts(
        [
          { delivery: rest[0]!, attempt: attempt(rest[0]!.id, 200), verdict: { kind: "succeeded" } },
          { delivery: skipped[0]!, attempt: attempt(skipped[0]!.id, 500), verdict: { kind: "retry", at: T0 + 5000, error: "HTTP 500" } },
        ],
        T0 + 10,
        86_400_000,
      );
      expect(toDisable).toEqual([]);
      expect((await store.getWebhook(projectId, a.id))?.lastSuccessAt).toBe(T0 + 10);
      const [retrying] = (await store.listDeliveries(projectId, { webhookId: b.id }, PAGE)).items;
      expect(retrying).toMatchObject({ state: "pending", attemptCount: 1, nextAttemptAt: T0 + 5000, lastStatusCode: 500, lastError: "HTTP 500" });
      expect(retrying!.attempts).toEqual([attempt(retrying!.id, 500)]);
      expect((await store.listDeliveries(projectId, { state: "succeeded" }, PAGE)).items).toHaveLength(1);
      // A lease that is never settled comes due again when it runs out, or at once after releaseLeases.
      expect(await store.nextDueAt()).toBe(T0 + 5000);
    });

    it("claims at most a given number per endpoint, oldest first, so one endpoint's backlog stays behind", async () => {
      const busy = webhook();
      const quiet = webhook();
      await store.insertWebhook(busy);
      await store.insertWebhook(quiet);
      for (let i = 0; i < 5; i++) {
        const event: StoredEvent = { id: newEventId(), projectId, type: "webhook.ping", payload: { type: "webhook.ping", version: "v1", timestamp: "t", data: { id: "x", webhook_id: busy.id } }, createdAt: T0 + i };
        await store.publishEvent(event, { kind: "webhook", webhookId: busy.id }, T0 + i);
      }
      await store.publishEvent({ id: newEventId(), projectId, type: "webhook.ping", payload: { type: "webhook.ping", version: "v1", timestamp: "t", data: { id: "y", webhook_id: quiet.id } }, createdAt: T0 + 9 }, { kind: "webhook", webhookId: quiet.id }, T0 + 9);
      const first = await store.claimDueDeliveries(T0 + 10, T0 + 1000, 10, [], 2);
      expect(first.map((d) => [d.webhookId, d.nextAttemptAt])).toEqual([[busy.id, T0], [busy.id, T0 + 1], [quiet.id, T0 + 9]]);
      const second = await store.claimDueDeliveries(T0 + 10, T0 + 1000, 10, [], 2);
      expect(second.map((d) => [d.webhookId, d.nextAttemptAt])).toEqual([[busy.id, T0 + 2], [busy.id, T0 + 3]]);
    });

    it("releases the leases of a crashed process", async () => {
      await store.insertWebhook(webhook());
      const op = operation();
      await store.insertOperation(op);
      await finish(op, T0);
      await store.claimDueDeliveries(T0, T0 + 60_000, 10, []);
      expect(await store.claimDueDeliveries(T0 + 1, T0 + 60_000, 10, [])).toHaveLength(0);
      expect(await store.releaseLeases(T0 + 2)).toBe(1);
      expect(await store.claimDueDeliveries(T0 + 2, T0 + 60_000, 10, [])).toHaveLength(1);
    });

    it("reports webhooks to disable: 410 at once, exhaustion only after a day without success", async () => {
      const gone = webhook();
      const tired = webhook();
      const recent = webhook({ lastSuccessAt: T0 + 86_000_000 });
      for (const h of [gone, tired, recent]) await store.insertWebhook(h);
      const op = operation();
      await store.insertOperation(op);
      await finish(op, T0);
      const claimed = await store.claimDueDeliveries(T0, T0 + 1000, 10, []);
      const now = T0 + 86_400_001;
      const outcome = (webhookId: string, verdict: any) => {
        const delivery = claimed.find((d) => d.webhookId === webhookId)!;
        return { delivery, attempt: { deliveryId: delivery.id, attemptNumber: 1, startedAt: now, latencyMs: 1, error: "x", requestHeaders: {} }, verdict };
      };
      const toDisable = await store.recordAttempts(
        [outcome(gone.id, { kind: "gone" }), outcome(tired.id, { kind: "failed", error: "HTTP 500" }), outcome(recent.id, { kind: "failed", error: "HTTP 500" })],
        now,
        86_400_000,
      );
      expect(toDisable.map((t) => [t.webhookId, t.state]).sort()).toEqual(
        [[gone.id, "disabled"], [tired.id, "disabled_due_to_failed_deliveries"]].sort(),
      );
    });

    it("disables a webhook, failing its pending deliveries and telling the others", async () => {
      const target = webhook();
      const watcher = webhook({ subscribedEvents: ["webhook.disabled"] });
      await store.insertWebhook(target);
      await store.insertWebhook(watcher);
      const op = operation();
      await store.insertOperation(op);
      await finish(op, T0);
      const notice: StoredEvent = { id: newEventId(), projectId, type: "webhook.disabled", payload: { type: "webhook.disabled", version: "v1", timestamp: "t", data: { id: "x", webhook_id: target.id, reason: "r" } }, createdAt: T0 + 1 };
      expect(await store.disableWebhook(projectId, target.id, "disabled", notice, T0 + 1)).toBe(true);
      expect(await store.disableWebhook(projectId, target.id, "disabled", { ...notice, id: newEventId() }, T0 + 2)).toBe(false);
      expect((await store.getWebhook(projectId, target.id))?.state).toBe("disabled");
      expect((await store.listDeliveries(projectId, { webhookId: target.id }, PAGE)).items.map((d) => d.state)).toEqual(["failed"]);
      expect((await store.listDeliveries(projectId, { eventId: notice.id }, PAGE)).items.map((d) => d.webhookId)).toEqual([watcher.id]);
    });

    it("redelivers an event to one webhook or to its original targets, and recovers failed deliveries", async () => {
      const a = webhook();
      const b = webhook({ subscribedEvents: ["batch.*"] });
      await store.insertWebhook(a);
      await store.insertWebhook(b);
      const op = operation();
      await store.insertOperation(op);
      const { event } = (await finish(op, T0))!;
      expect(await store.redeliverEvent(projectId, event.id, undefined, T0 + 1)).toBe(1);
      expect(await store.redeliverEvent(projectId, event.id, b.id, T0 + 2)).toBe(1);
      expect(await store.redeliverEvent("other", event.id, undefined, T0 + 2)).toBe(0);
      const all = (await store.listDeliveries(projectId, { eventId: event.id }, PAGE)).items;
      expect(all.map((d) => d.webhookId)).toEqual([a.id, a.id, b.id]);

      const claimed = await store.claimDueDeliveries(T0 + 3, T0 + 1000, 10, []);
      await store.recordAttempts(
        claimed.map((delivery) => ({ delivery, attempt: { deliveryId: delivery.id, attemptNumber: 1, startedAt: T0 + 3, latencyMs: 1, error: "refused", requestHeaders: {} }, verdict: { kind: "failed", error: "refused" } })),
        T0 + 4,
        86_400_000,
      );
      expect(await store.recoverDeliveries(projectId, a.id, T0, T0 + 2, T0 + 10)).toBe(2);
      const recovered = (await store.listDeliveries(projectId, { webhookId: a.id, state: "pending" }, PAGE)).items;
      expect(recovered).toHaveLength(2);
      expect(recovered[0]).toMatchObject({ nextAttemptAt: T0 + 10, windowStartAt: T0 + 10 });
    });

    const batch = (overrides: Partial<Batch> = {}): Batch => ({
      id: newResourceId(),
      projectId,
      displayName: "b",
      model: "models/m",
      state: "BATCH_STATE_PENDING",
      requestCount: 3,
      successfulRequestCount: 0,
      failedRequestCount: 0,
      deadlineAt: T0 + 48 * 3600_000,
      createdAt: T0,
      updatedAt: T0,
      ...overrides,
    });
    const lines = (): BatchLine[] => [
      { index: 0, key: "a", request: '{"contents":[]}', state: "pending" },
      { index: 1, key: "b", request: '{"contents":[]}', state: "pending" },
      { index: 2, key: "line-3", state: "failed", result: '{"error":{"code":400,"message":"not JSON"}}' },
    ];

    it("stores a batch with its lines, leases it once, and settles lines with their counters", async () => {
      const b = batch({ failedRequestCount: 1, webhookConfig: { uris: ["https://a.example/x"], user_metadata: { k: 1 } } });
      await store.insertBatch(b, lines());
      expect(await store.getBatch(projectId, b.id)).toEqual(b);
      expect(await store.getBatch("other", b.id)).toBeUndefined();
      expect((await store.listBatches(projectId, PAGE)).items.map((x) => x.id)).toEqual([b.id]);

      const claimed = await store.claimBatch(T0 + 1, T0 + 1000);
      expect(claimed).toMatchObject({ id: b.id, state: "BATCH_STATE_RUNNING" });
      expect(await store.claimBatch(T0 + 2, T0 + 1000)).toBeUndefined();
      expect((await store.claimBatch(T0 + 1001, T0 + 2000))?.id).toBe(b.id);
      await store.renewBatchLease(b.id, T0 + 9000);
      expect(await store.claimBatch(T0 + 2001, T0 + 3000)).toBeUndefined();

      expect((await store.pendingBatchLines(b.id, 10)).map((l) => l.key)).toEqual(["a", "b"]);
      expect(await store.pendingBatchLines(b.id, 1)).toHaveLength(1);
      const settled: BatchLine[] = [
        { index: 0, key: "a", state: "succeeded", result: '{"response":{}}' },
        { index: 1, key: "b", state: "failed", result: '{"error":{"code":500,"message":"x"}}' },
      ];
      await store.recordBatchLines(b.id, settled, T0 + 5);
      // Recording the same lines again (a retry after a crash) changes nothing.
      await store.recordBatchLines(b.id, settled, T0 + 6);
      expect(await store.pendingBatchLines(b.id, 10)).toEqual([]);
      expect(await store.getBatch(projectId, b.id)).toMatchObject({ successfulRequestCount: 1, failedRequestCount: 2 });
      expect((await store.batchLines(b.id)).map((l) => [l.key, l.state])).toEqual([["a", "succeeded"], ["b", "failed"], ["line-3", "failed"]]);
    });

    it("finishes a batch with its event and deliveries, and releases its lease on restart", async () => {
      const hook = webhook({ subscribedEvents: ["batch.*"] });
      await store.insertWebhook(hook);
      const b = batch();
      await store.insertBatch(b, lines());
      await store.claimBatch(T0, T0 + 60_000);
      expect(await store.releaseLeases(T0 + 1)).toBe(0);
      expect((await store.claimBatch(T0 + 2, T0 + 60_000))?.id).toBe(b.id);
      const result = await store.finishBatch(projectId, b.id, (current) => {
        const next = { ...current, state: "BATCH_STATE_SUCCEEDED" as const, outputFile: "files/out", endedAt: T0 + 3, updatedAt: T0 + 3 };
        const event: StoredEvent = { id: newEventId(), projectId, type: "batch.succeeded", payload: { type: "batch.succeeded", version: "v1", timestamp: "t", data: { id: `batches/${b.id}`, output_file_uri: "files/out" } }, createdAt: T0 + 3 };
        return { batch: next, event };
      }, T0 + 3);
      expect(result?.batch.state).toBe("BATCH_STATE_SUCCEEDED");
      expect(await store.getBatch(projectId, b.id)).toMatchObject({ state: "BATCH_STATE_SUCCEEDED", outputFile: "files/out", endedAt: T0 + 3 });
      expect((await store.listDeliveries(projectId, { eventId: result!.event.id }, PAGE)).items.map((d) => d.webhookId)).toEqual([hook.id]);
      expect(await store.claimBatch(T0 + 100_000, T0 + 200_000)).toBeUndefined();
      await expect(store.finishBatch(projectId, b.id, () => { throw new Error("already done"); }, T0 + 4)).rejects.toThrow("already done");
      expect(await store.deleteBatch(projectId, b.id)).toBe(true);
      expect(await store.batchLines(b.id)).toEqual([]);
    });

    it("finds unfinished batches past their deadline", async () => {
      const late = batch({ deadlineAt: T0 + 10 });
      const done = batch({ deadlineAt: T0 + 10, state: "BATCH_STATE_SUCCEEDED" });
      const later = batch({ deadlineAt: T0 + 1000 });
      for (const b of [late, done, later]) await store.insertBatch(b, []);
      expect((await store.listExpiredBatches(T0 + 10, 10)).map((b) => b.id)).toEqual([late.id]);
    });

    it("lists events by type and operation, and finds operations to expire", async () => {
      const expiring = operation({ expireAt: T0 + 100 });
      const later = operation({ expireAt: T0 + 500 });
      const open = operation();
      for (const o of [expiring, later, open]) await store.insertOperation(o);
      expect(await store.nextExpireAt()).toBe(T0 + 100);
      expect((await store.listExpiredOperations(T0 + 100, 10)).map((o) => o.id)).toEqual([expiring.id]);
      await finish(expiring, T0 + 50);
      expect(await store.listExpiredOperations(T0 + 1000, 10)).toHaveLength(1);
      expect(await store.nextExpireAt()).toBe(T0 + 500);
      expect((await store.listEvents(projectId, { type: "export.succeeded" }, PAGE)).items).toHaveLength(1);
      expect((await store.listEvents(projectId, { operation: `operations/${expiring.id}` }, PAGE)).items).toHaveLength(1);
      expect((await store.listEvents(projectId, { type: "export.failed" }, PAGE)).items).toHaveLength(0);
      expect((await store.listOperations(projectId, { done: false }, PAGE)).items.map((o) => o.id).sort()).toEqual([later.id, open.id].sort());
      expect((await store.listOperations(projectId, { done: true, type: "export" }, PAGE)).items.map((o) => o.id)).toEqual([expiring.id]);
    });
  });
}
