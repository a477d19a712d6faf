import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SendResult } from "../../../src/core/deliveries.js";
import { planDeliveries } from "../../../src/core/fanout.js";
import { retryPolicy } from "../../../src/core/retry-schedule.js";
import type { WebhookToDisable } from "../../../src/core/webhooks.js";
import {
  DEFAULT_ENGINE_OPTIONS,
  DeliveryEngine,
  FLUSH_WINDOW_MS,
  STARTS_PER_TURN,
  type EndpointSlot,
  type EngineOptions,
  type SenderOutcome,
} from "../../../src/delivery/engine.js";
import { EndpointSlots } from "../../../src/delivery/sender-thread/endpoint-slots.js";
import type { OutgoingRequest } from "../../../src/delivery/sender.js";
import type { SqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import type { BornLease, ClaimedDelivery, WebhookRecord } from "../../../src/store/store.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { memoryStoreWithProject } from "../../helpers/memory-store.js";

const HOUR = 3_600_000;
const PAGE = { pageSize: 100, offset: 0 };
const TIMEOUT_MS = 10_000;

type Answer = number | "hang";

/** A sender that answers from a script per URI, on fake time: a hung request times out like the real one. */
class ScriptedSender {
  readonly requests: OutgoingRequest[] = [];
  inFlight = 0;
  maxInFlight = new Map<string, number>();
  private readonly inFlightByUri = new Map<string, number>();

  constructor(
    private readonly clock: FakeClock,
    private readonly script: (uri: string, n: number) => Answer,
  ) {}

  send(req: OutgoingRequest): Promise<SenderOutcome> {
    const n = this.requests.filter((r) => r.uri === req.uri).length;
    this.requests.push(req);
    const answer = this.script(req.uri, n);
    const current = (this.inFlightByUri.get(req.uri) ?? 0) + 1;
    this.inFlightByUri.set(req.uri, current);
    this.maxInFlight.set(req.uri, Math.max(this.maxInFlight.get(req.uri) ?? 0, current));
    const done = (result: SendResult) => {
      this.inFlightByUri.set(req.uri, (this.inFlightByUri.get(req.uri) ?? 1) - 1);
      return result;
    };
    if (answer === "hang") {
      return new Promise((resolve) =>
        this.clock.setTimeout(
          () => resolve(done({ kind: "error", error: `timed out after ${TIMEOUT_MS} ms`, latencyMs: TIMEOUT_MS })),
          TIMEOUT_MS,
        ),
      );
    }
    return Promise.resolve(done({ kind: "response", statusCode: answer, body: "", latencyMs: 1 }));
  }
}

/**
 * A sender that keeps each endpoint's concurrency itself with the sending thread's `EndpointSlots`: what it is handed
 * beyond an endpoint's slots waits (counted in `handed`, not in `requests`) until one ends, or is withdrawn.
 */
class HoldingSender extends ScriptedSender {
  readonly holdsQueues = true;
  readonly handed = new Map<string, number>();
  private readonly slots = new EndpointSlots();

  override async send(req: OutgoingRequest, slot?: EndpointSlot): Promise<SenderOutcome> {
    this.handed.set(req.uri, (this.handed.get(req.uri) ?? 0) + 1);
    if (slot === undefined) return super.send(req);
    if (!(await this.slots.acquire(slot.key, slot.size))) return { kind: "withdrawn" };
    try {
      return await super.send(req);
    } finally {
      this.slots.release(slot.key);
    }
  }

  withdraw(): void {
    this.slots.withdrawAll();
  }
}

let clock: FakeClock;
let store: SqliteStore;
let disabled: WebhookToDisable[];
let errors: unknown[];
let engines: DeliveryEngine[];
const projectId = "p1";

beforeEach(async () => {
  clock = new FakeClock();
  store = await memoryStoreWithProject(clock, projectId);
  disabled = [];
  errors = [];
  engines = [];
});
afterEach(async () => {
  await store.close();
});

async function startEngine(
  sender: ScriptedSender | HoldingSender,
  options: Partial<EngineOptions> = {},
  schedule = [5, 30],
): Promise<DeliveryEngine> {
  const engine = new DeliveryEngine(
    {
      store,
      sender,
      buildAttempt: async (delivery) => ({ headers: { "webhook-id": delivery.eventId } }),
      policy: retryPolicy(schedule, () => 0.5),
      clock,
      workerName: `engine-${engines.length + 1}`,
      exclusive: false,
      onDisable: async (webhooks) => {
        disabled.push(...webhooks);
      },
      observer: { attempt() {}, claimRound() {}, error: (err) => errors.push(err) },
    },
    {
      perEndpointConcurrency: 16,
      perEndpointQueue: 64,
      maxQueued: 4096,
      maxInFlight: 1024,
      claimAheadMs: DEFAULT_ENGINE_OPTIONS.claimAheadMs,
      adoptAheadMs: DEFAULT_ENGINE_OPTIONS.adoptAheadMs,
      parkAheadMs: DEFAULT_ENGINE_OPTIONS.parkAheadMs,
      maxParked: DEFAULT_ENGINE_OPTIONS.maxParked,
      aliveMs: 15_000,
      renewMs: 5_000,
      idlePollMs: HOUR,
      ...options,
    },
  );
  engines.push(engine);
  await engine.start();
  return engine;
}

async function addWebhook(
  id: string,
  routing: Pick<WebhookRecord, "ordering" | "rateLimitPerSecond"> = {},
): Promise<WebhookRecord> {
  const webhook: WebhookRecord = {
    ...routing,
    id,
    projectId,
    name: "",
    uri: `https://${id}.example/hook`,
    subscribedEvents: ["*"],
    state: "enabled",
    signingScheme: "v1",
    sealedSecrets: "s",
    createdAt: clock.now(),
    updatedAt: clock.now(),
  };
  await store.webhooks.insert(webhook);
  return webhook;
}

/** What another process could claim now: the deliveries no live engine holds. */
async function claimableByAnother(limit = 100): Promise<ClaimedDelivery[]> {
  const other = await store.workers.register("other", clock.now() + HOUR);
  return store.deliveries.claim({ now: clock.now(), worker: other, limit, skipEndpoints: [], perEndpointLimit: limit });
}

/**
 * Events to one webhook, as the outbox writes them: queued, or born leased (`lease`, from an engine or for a
 * worker that is not one). Returns them in the shape an engine adopts.
 */
async function publish(webhook: WebhookRecord, count = 1, lease?: BornLease): Promise<ClaimedDelivery[]> {
  const written: ClaimedDelivery[] = [];
  for (let i = 0; i < count; i++) {
    const now = clock.now();
    const payload = {
      type: "export.succeeded",
      version: "v1",
      timestamp: "t",
      data: { id: `operations/${i}` },
    } as const;
    const deliveries = await store.transaction(async (tx) => {
      const [event] = await tx.events.insert([{ projectId, type: "export.succeeded", payload, createdAt: now }]);
      return tx.deliveries.insert(
        planDeliveries(event!, { kind: "webhook", webhookId: webhook.id }, [webhook], now),
        now,
        lease,
      );
    });
    written.push(...deliveries.map((d) => ({ ...d, body: JSON.stringify(payload), sealedSecrets: "s" })));
  }
  return written;
}

/** Events born leased to `engine`, adopted by it as the outbox hands them over after the commit. */
async function publishTo(engine: DeliveryEngine, webhook: WebhookRecord, count = 1): Promise<void> {
  for (let i = 0; i < count; i++) {
    const lease = engine.lease()!;
    engine.adopt(lease, await publish(webhook, 1, lease));
  }
}

const deliveriesOf = async (webhookId: string) => (await store.deliveries.list(projectId, { webhookId }, PAGE)).items;

describe("DeliveryEngine, on fake time", () => {
  it("sends a due delivery and records its attempt and outcome", async () => {
    const hook = await addWebhook("a");
    await publish(hook);
    const sender = new ScriptedSender(clock, () => 200);
    await startEngine(sender);
    await clock.settle();
    expect(sender.requests).toHaveLength(1);
    await clock.advance(FLUSH_WINDOW_MS);
    const [delivery] = await deliveriesOf("a");
    expect(delivery).toMatchObject({ state: "succeeded", attemptCount: 1, lastStatusCode: 200 });
    expect(delivery!.attempts).toHaveLength(1);
    expect((await store.webhooks.get(projectId, "a"))?.lastSuccessAt).toBe(clock.now());
  });

  it("retries on the schedule: nothing before the time, the retry at it", async () => {
    const hook = await addWebhook("a");
    await publish(hook);
    const sender = new ScriptedSender(clock, (_uri, n) => (n === 0 ? 500 : 200));
    await startEngine(sender);
    await clock.settle();
    await clock.advance(FLUSH_WINDOW_MS);
    expect((await deliveriesOf("a"))[0]).toMatchObject({ state: "pending", attemptCount: 1, lastError: "HTTP 500" });
    await clock.advance(4_900 - FLUSH_WINDOW_MS);
    expect(sender.requests).toHaveLength(1);
    await clock.advance(200);
    expect(sender.requests).toHaveLength(2);
    await clock.advance(FLUSH_WINDOW_MS);
    expect((await deliveriesOf("a"))[0]).toMatchObject({ state: "succeeded", attemptCount: 2 });
  });

  it("gives up when the 24-hour window closes and has the webhook disabled", async () => {
    const hook = await addWebhook("a");
    await publish(hook);
    const sender = new ScriptedSender(clock, () => 500);
    await startEngine(sender, {}, [10 * 3600]);
    for (let i = 0; i < 4; i++) await clock.advance(10 * HOUR);
    // Attempts at 0 h, 10 h, 20 h and at the window's edge, 24 h.
    expect(sender.requests).toHaveLength(4);
    expect((await deliveriesOf("a"))[0]).toMatchObject({ state: "failed", attemptCount: 4 });
    expect(disabled).toEqual([expect.objectContaining({ webhookId: "a", state: "disabled_due_to_failed_deliveries" })]);
  });

  it("has a webhook that answers 410 disabled at once", async () => {
    const hook = await addWebhook("a");
    await publish(hook);
    await startEngine(new ScriptedSender(clock, () => 410));
    await clock.settle();
    await clock.advance(FLUSH_WINDOW_MS);
    expect(disabled).toEqual([expect.objectContaining({ webhookId: "a", state: "disabled" })]);
    expect((await deliveriesOf("a"))[0]).toMatchObject({ state: "failed", lastError: "HTTP 410 Gone" });
  });

  it("lets a hanging endpoint hold only its own slots, and leaves its backlog in the store", async () => {
    const dead = await addWebhook("dead");
    const live = await addWebhook("live");
    await publish(dead, 20);
    await publish(live, 3);
    const sender = new ScriptedSender(clock, (uri) => (uri.includes("dead") ? "hang" : 200));
    await startEngine(sender, { perEndpointConcurrency: 4, perEndpointQueue: 8 });
    await clock.settle();
    await clock.advance(FLUSH_WINDOW_MS);
    expect(sender.maxInFlight.get(dead.uri)).toBe(4);
    expect((await deliveriesOf("live")).map((d) => d.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    // Eight claimed (four in flight, four waiting); the other twelve are still unleased in the store.
    expect(await claimableByAnother()).toHaveLength(12);
  });

  it("on a graceful stop, hands back at once the leases of deliveries it had not started", async () => {
    const dead = await addWebhook("dead");
    await publish(dead, 6);
    const sender = new ScriptedSender(clock, () => "hang");
    const engine = await startEngine(sender, { perEndpointConcurrency: 2 });
    await clock.settle();
    expect(sender.requests).toHaveLength(2);
    const stopped = engine.stop();
    await clock.advance(TIMEOUT_MS);
    await stopped;
    // The two in flight timed out and were recorded; the four never started are claimable now.
    const claimable = await claimableByAnother();
    expect(claimable.map((d) => d.attemptCount).sort()).toEqual([0, 0, 0, 0]);
    expect((await deliveriesOf("dead")).filter((d) => d.attemptCount === 1)).toHaveLength(2);
  });

  it("adopts deliveries born leased to it without claiming them, parks what it has no room for, hands back the rest", async () => {
    const dead = await addWebhook("dead");
    const sender = new ScriptedSender(clock, () => "hang");
    const engine = await startEngine(sender, { perEndpointConcurrency: 2, perEndpointQueue: 3 });
    await clock.settle();
    const lease = engine.lease()!;
    engine.adopt(lease, await publish(dead, 8, lease));
    await clock.settle();
    expect(sender.requests).toHaveLength(2);
    // Its latency unknown: three held (two in flight, one queued), three parked; two went back to the queue.
    expect(engine.queuedCount).toBe(3);
    expect(engine.parkedCount).toBe(3);
    const claimable = await claimableByAnother();
    expect(claimable).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it("on a graceful stop, hands back what it parked", async () => {
    const dead = await addWebhook("dead");
    const sender = new ScriptedSender(clock, () => "hang");
    const engine = await startEngine(sender, { perEndpointConcurrency: 1, perEndpointQueue: 2 });
    const lease = engine.lease()!;
    engine.adopt(lease, await publish(dead, 4, lease));
    expect(engine.parkedCount).toBe(2);
    expect(await claimableByAnother()).toEqual([]);
    const stopped = engine.stop();
    await clock.advance(TIMEOUT_MS);
    await stopped;
    // One was in flight (it timed out and was recorded); the one queued and the two parked are claimable now.
    expect((await claimableByAnother()).map((d) => d.attemptCount)).toEqual([0, 0, 0]);
  });
});

describe("DeliveryEngine, a large fan-out", () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  /**
   * `perWebhook` deliveries to each of `webhooks` webhooks, born leased to `engine` and adopted in one go, as one
   * fan-out.
   */
  let webhookCount = 0;
  async function fanOut(engine: DeliveryEngine, webhooks: number, perWebhook: number): Promise<void> {
    const lease = engine.lease()!;
    const deliveries: ClaimedDelivery[] = [];
    for (let i = 0; i < webhooks; i++)
      deliveries.push(...(await publish(await addWebhook(`w${++webhookCount}`), perWebhook, lease)));
    engine.adopt(lease, deliveries);
  }

  it("starts a bounded number of attempts per turn of the event loop, and the rest in the turns after", async () => {
    const sender = new ScriptedSender(clock, () => "hang");
    const engine = await startEngine(sender, { perEndpointConcurrency: 4 });
    await clock.settle();
    await fanOut(engine, 50, 4);
    // Started in the adopting turn: no more than its share, so requests waiting on the loop are answered between.
    expect(sender.requests).toHaveLength(STARTS_PER_TURN);
    await nextTurn();
    await nextTurn();
    await nextTurn();
    expect(sender.requests).toHaveLength(200);
  });

  it("keeps no more than maxInFlight attempts in flight over all endpoints, and starts the rest as they end", async () => {
    const sender = new ScriptedSender(clock, (_uri, n) => (n === 0 ? "hang" : 200));
    const engine = await startEngine(sender, { perEndpointConcurrency: 4, maxInFlight: 10 });
    await clock.settle();
    await fanOut(engine, 5, 1);
    await fanOut(engine, 5, 1);
    await clock.settle();
    // Ten webhooks, one delivery each, all of them hanging: ten sockets at most.
    expect(sender.requests).toHaveLength(10);
    await fanOut(engine, 3, 1);
    await clock.settle();
    expect(sender.requests).toHaveLength(10);
    // The hung ones time out; the three waiting start.
    await clock.advance(TIMEOUT_MS);
    await nextTurn();
    expect(sender.requests.length).toBeGreaterThanOrEqual(13);
    expect(errors).toEqual([]);
  });
});

describe("DeliveryEngine, with a sender that keeps each endpoint's concurrency", () => {
  it("hands it two windows of an endpoint's attempts, so the next starts there as one ends; a FIFO webhook one", async () => {
    const plain = await addWebhook("plain");
    const fifo = await addWebhook("fifo", { ordering: "fifo" });
    await publish(plain, 20);
    await publish(fifo, 5);
    const sender = new HoldingSender(clock, () => "hang");
    await startEngine(sender, { perEndpointConcurrency: 4, perEndpointQueue: 16 });
    await clock.settle();
    expect(sender.handed.get(plain.uri)).toBe(8);
    expect(sender.maxInFlight.get(plain.uri)).toBe(4);
    expect(sender.handed.get(fifo.uri)).toBe(1);
  });

  it("spaces a rate-limited webhook's attempts itself, handing over one window at most", async () => {
    const paced = await addWebhook("paced", { rateLimitPerSecond: 100 });
    await publish(paced, 10);
    const sender = new HoldingSender(clock, () => "hang");
    await startEngine(sender, { perEndpointConcurrency: 2 });
    for (let i = 0; i < 10; i++) await clock.advance(100);
    expect(sender.handed.get(paced.uri)).toBe(2);
  });

  it("on a graceful stop, hands back what the sender withdrew unsent, with no attempt recorded", async () => {
    const hook = await addWebhook("dead");
    await publish(hook, 6);
    const sender = new HoldingSender(clock, () => "hang");
    const engine = await startEngine(sender, { perEndpointConcurrency: 2 });
    await clock.settle();
    // Two sent, two held by the sender, two queued in the engine.
    expect([sender.handed.get(hook.uri), sender.requests.length]).toEqual([4, 2]);
    const stopped = engine.stop();
    await clock.advance(TIMEOUT_MS);
    await stopped;
    // The two sent timed out and were recorded; the two withdrawn and the two never handed over are claimable now.
    expect(sender.requests).toHaveLength(2);
    expect((await claimableByAnother()).map((d) => d.attemptCount)).toEqual([0, 0, 0, 0]);
    expect((await deliveriesOf("dead")).filter((d) => d.attemptCount === 1)).toHaveLength(2);
    expect(errors).toEqual([]);
  });
});

describe("DeliveryEngine, routing", () => {
  const operationOf = (req: OutgoingRequest) => (JSON.parse(req.body) as { data: { id: string } }).data.id;

  it("spaces a rate-limited webhook's attempts 1 / rate apart, and makes the rest wait rather than fail", async () => {
    const hook = await addWebhook("paced", { rateLimitPerSecond: 5 });
    await publish(hook, 6);
    const startedAt: number[] = [];
    const sender = new ScriptedSender(clock, () => {
      startedAt.push(clock.now());
      return 200;
    });
    const t0 = clock.now();
    await startEngine(sender);
    for (let i = 0; i < 20; i++) await clock.advance(100);
    expect(startedAt.map((t) => t - t0)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect((await deliveriesOf("paced")).map((d) => d.state)).toEqual(Array(6).fill("succeeded"));
  });

  it("sends a FIFO webhook's deliveries one at a time, in order, the rest waiting while one is retried", async () => {
    const hook = await addWebhook("fifo", { ordering: "fifo" });
    await publish(hook, 5);
    // The third event's first attempt fails.
    const sender = new ScriptedSender(clock, (_uri, n) => (n === 2 ? 500 : 200));
    await startEngine(sender);
    for (let i = 0; i < 100; i++) await clock.advance(100);
    expect(sender.requests.map(operationOf)).toEqual([
      "operations/0",
      "operations/1",
      "operations/2",
      "operations/2",
      "operations/3",
      "operations/4",
    ]);
    expect(sender.maxInFlight.get(hook.uri)).toBe(1);
    expect((await deliveriesOf("fifo")).map((d) => d.state)).toEqual(Array(5).fill("succeeded"));
  });
});

describe("DeliveryEngine, failover", () => {
  it("sends what a dead process's engine held within its alive window and one renewal, each once", async () => {
    const hook = await addWebhook("a");
    // A worker that dies right after registering: it never renews.
    const dead = await store.workers.register("dead", clock.now() + 15_000);
    await publish(hook, 3, { worker: dead, coveredFrom: null });
    const sender = new ScriptedSender(clock, () => 200);
    await startEngine(sender);
    await clock.advance(14_999);
    expect(sender.requests).toHaveLength(0);
    // Dead at its row's end (15 s); the live engine looks every renewMs (5 s): at 15 s here, at 20 s at worst.
    await clock.advance(1);
    expect(sender.requests).toHaveLength(3);
    expect(new Set(sender.requests.map((r) => r.headers["webhook-id"])).size).toBe(3);
    await clock.advance(FLUSH_WINDOW_MS);
    expect((await deliveriesOf("a")).map((d) => d.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
  });

  it("keeps what it holds while it renews, however slow the endpoint: no other engine takes it", async () => {
    const slow = await addWebhook("slow");
    const sender = new ScriptedSender(clock, () => "hang");
    const engine = await startEngine(sender, { perEndpointConcurrency: 1, perEndpointQueue: 10 });
    await publishTo(engine, slow, 5);
    const other = await startEngine(new ScriptedSender(clock, () => 200));
    // Far past the alive window: the holding engine renewed all along, so its deliveries stay its own.
    for (let i = 0; i < 6; i++) await clock.advance(TIMEOUT_MS);
    expect(await claimableByAnother()).toEqual([]);
    expect(other).toBeDefined();
    expect(sender.requests.length).toBeGreaterThanOrEqual(5);
    expect(errors).toEqual([]);
  });
});

describe("DeliveryEngine, depth per endpoint", () => {
  it("lets an endpoint that answers fast hold more than the default depth, and a slow one only that", async () => {
    const fast = await addWebhook("fast");
    const slow = await addWebhook("slow");
    const sender = new ScriptedSender(clock, (uri) => (uri.includes("slow") ? "hang" : 200));
    const engine = await startEngine(sender, { perEndpointConcurrency: 2, perEndpointQueue: 4 });
    await clock.settle();
    // Its latency measured once, the fast endpoint may hold what it sends within adoptAheadMs.
    await publishTo(engine, fast);
    await clock.settle();
    const lease = engine.lease()!;
    engine.adopt(lease, [...(await publish(fast, 50, lease)), ...(await publish(slow, 50, lease))]);
    const claimable = await claimableByAnother(1000);
    expect(claimable.filter((d) => d.webhookId === "fast")).toHaveLength(0);
    // The slow one's latency is unknown: four held, four parked, the rest handed back.
    expect(claimable.filter((d) => d.webhookId === "slow")).toHaveLength(42);
  });

  it("holds adoptAheadMs of a slow endpoint's work, parks the rest without a write, and sends all in order", async () => {
    const slow = await addWebhook("slow");
    const { engine, sender } = await engineThatMeasured(slow, 100);
    // Answers in 100 ms, two at a time: 1 s of its work is 20 deliveries.
    const window = (2 * DEFAULT_ENGINE_OPTIONS.adoptAheadMs) / 100;
    const lease = engine.lease()!;
    const handed = await publish(slow, 100, lease);
    const release = vi.spyOn(store.deliveries, "release");
    engine.adopt(lease, handed);
    await clock.settle();
    expect(engine.queuedCount).toBe(window);
    expect(engine.parkedCount).toBe(100 - window);
    // Parked, not handed back: nothing written, nothing in the queue for another engine.
    expect(release).not.toHaveBeenCalled();
    expect(await claimableByAnother(1000)).toEqual([]);
    for (let round = 0; round < 100 && sender.sent.length < 1 + 100; round++) {
      await sender.answerAll();
      await clock.advance(FLUSH_WINDOW_MS);
    }
    // Read back as it made room: each sent once, in the order they were handed over.
    expect(sender.sent.slice(1).map((r) => r.headers["webhook-id"])).toEqual(handed.map((d) => d.eventId));
    await sender.answerAll();
    await clock.advance(FLUSH_WINDOW_MS);
    expect((await deliveriesOf("slow")).every((d) => d.state === "succeeded")).toBe(true);
    expect(engine.parkedCount).toBe(0);
    expect(errors).toEqual([]);
  });

  it("takes an endpoint that stops answering for slow at once, not when its attempts time out", async () => {
    const stalled = await addWebhook("stalled");
    // It answered in 1 ms: 1 s of its work, two at a time, is far more than it is handed here.
    const { engine } = await engineThatMeasured(stalled, 1);
    let lease = engine.lease()!;
    engine.adopt(lease, await publish(stalled, 10, lease));
    expect(engine.queuedCount).toBe(10);
    // Now it answers nothing: half a second on, its oldest attempt's age is its latency (2 × 1 s / 500 ms = 4).
    await clock.advance(500);
    lease = engine.lease()!;
    engine.adopt(lease, await publish(stalled, 5, lease));
    expect(engine.queuedCount).toBe(10);
    expect(engine.parkedCount).toBe(5);
    expect(errors).toEqual([]);
  });

  it("reads back what an endpoint parked when another endpoint's attempts make room in the engine", async () => {
    const busy = await addWebhook("busy");
    const idle = await addWebhook("idle");
    const sender = new HeldSender();
    const engine = await startEngine(sender as unknown as ScriptedSender, {
      perEndpointConcurrency: 2,
      perEndpointQueue: 4,
      maxQueued: 4,
    });
    // Its first claim round done while it had room: nothing it claims wakes it again.
    await clock.settle();
    let lease = engine.lease()!;
    engine.adopt(lease, await publish(busy, 4, lease));
    // The engine is full: the idle endpoint, which holds nothing, parks what it is handed.
    lease = engine.lease()!;
    const parked = await publish(idle, 3, lease);
    engine.adopt(lease, parked);
    await clock.settle();
    expect(engine.parkedCount).toBe(3);
    expect(sender.sent.map((r) => r.uri)).toEqual([busy.uri, busy.uri]);
    // The busy endpoint's answers make room; no attempt of the idle one's will end to bring its own back.
    for (let round = 0; round < 5 && sender.sent.length < 7; round++) await sender.answerAll();
    expect(sender.sent.filter((r) => r.uri === idle.uri).map((r) => r.headers["webhook-id"])).toEqual(
      parked.map((d) => d.eventId),
    );
    expect(engine.parkedCount).toBe(0);
    expect(errors).toEqual([]);
  });

  it("hands back to the store's queue what lies beyond parkAheadMs of a slow endpoint's work", async () => {
    const slow = await addWebhook("slow");
    const { engine } = await engineThatMeasured(slow, 100, { parkAheadMs: 2_000 });
    // 1 s of its work held (20), 2 s parked (40); the others wait in the queue, where claims take them in order.
    const lease = engine.lease()!;
    engine.adopt(lease, await publish(slow, 100, lease));
    await clock.settle();
    expect(engine.queuedCount).toBe(20);
    expect(engine.parkedCount).toBe(40);
    expect(await claimableByAnother(1000)).toHaveLength(40);
    expect(errors).toEqual([]);
  });

  it("sends what fell due first in the store before what a slow endpoint is handed after it", async () => {
    const slow = await addWebhook("slow");
    const { engine, sender } = await engineThatMeasured(slow, 100);
    // 12 held (adoptAheadMs allows 20 at 100 ms, two at a time), more than its claim window (4).
    let lease = engine.lease()!;
    engine.adopt(lease, await publish(slow, 12, lease));
    // Five fall due in the store meanwhile (as a dead process's do when it is reaped); no room takes them.
    const older = (await publish(slow, 5)).map((d) => d.eventId);
    engine.wake();
    await clock.settle();
    // What the endpoint is handed now goes back to the queue, behind those five.
    await clock.advance(1);
    lease = engine.lease()!;
    const handed = await publish(slow, 8, lease);
    const newer = handed.map((d) => d.eventId);
    engine.adopt(lease, handed);
    expect(engine.queuedCount).toBe(12);
    for (let round = 0; round < 20 && sender.sent.length < 1 + 12 + 5 + 8; round++) {
      await sender.answerAll();
      await clock.advance(FLUSH_WINDOW_MS);
    }
    const order = sender.sent.map((r) => r.headers["webhook-id"]);
    expect(order).toHaveLength(1 + 12 + 5 + 8);
    const lastOlder = Math.max(...older.map((id) => order.indexOf(id)));
    const firstNewer = Math.min(...newer.map((id) => order.indexOf(id)));
    expect(lastOlder).toBeLessThan(firstNewer);
    expect(errors).toEqual([]);
  });

  it("claims from the store only what a fast endpoint answers within claimAheadMs", async () => {
    const fast = await addWebhook("fast");
    // Its latency measured (1 ms): it may now hold 2 × claimAheadMs / 1 ms of claimed deliveries.
    const { engine, sender } = await engineThatMeasured(fast, 1);
    const claimAhead = 2 * DEFAULT_ENGINE_OPTIONS.claimAheadMs;
    await publish(fast, 3 * claimAhead);
    engine.wake();
    let mostHeld = 0;
    for (let round = 0; round < claimAhead; round++) {
      await clock.settle();
      mostHeld = Math.max(mostHeld, engine.queuedCount);
      await sender.answerAll();
      await clock.advance(FLUSH_WINDOW_MS);
    }
    // More than the default depth, never more than a claim (four) past the claim-ahead depth.
    expect(mostHeld).toBeGreaterThan(claimAhead - 4);
    expect(mostHeld).toBeLessThanOrEqual(claimAhead + 4);
    expect(errors).toEqual([]);
  });
});

/**
 * An engine sending two at a time (default depth 4) through a `HeldSender` whose answers take `latencyMs`, once one
 * answer from `webhook` has measured that latency.
 */
async function engineThatMeasured(webhook: WebhookRecord, latencyMs: number, options: Partial<EngineOptions> = {}) {
  const sender = new HeldSender(latencyMs);
  const engine = await startEngine(sender as unknown as ScriptedSender, {
    perEndpointConcurrency: 2,
    perEndpointQueue: 4,
    ...options,
  });
  await clock.settle();
  await publishTo(engine, webhook);
  await clock.settle();
  await sender.answerAll();
  await clock.advance(FLUSH_WINDOW_MS);
  return { engine, sender };
}

/** A sender whose requests wait until the test answers them, each reported as taking `latencyMs`. */
class HeldSender {
  readonly held: Array<() => void> = [];
  readonly sent: OutgoingRequest[] = [];

  constructor(private readonly latencyMs = 1) {}

  send(req: OutgoingRequest): Promise<SendResult> {
    this.sent.push(req);
    return new Promise((resolve) =>
      this.held.push(() => resolve({ kind: "response", statusCode: 200, body: "", latencyMs: this.latencyMs })),
    );
  }

  async answerAll(): Promise<void> {
    for (const answer of this.held.splice(0)) answer();
    await clock.settle();
  }
}
