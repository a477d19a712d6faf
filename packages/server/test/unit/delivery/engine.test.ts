import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SendResult } from "../../../src/core/deliveries.js";
import type { StoredEvent } from "../../../src/core/events.js";
import { planDeliveries } from "../../../src/core/fanout.js";
import { newEventId } from "../../../src/core/ids.js";
import { retryPolicy } from "../../../src/core/retry-schedule.js";
import type { WebhookToDisable } from "../../../src/core/webhooks.js";
import { DeliveryEngine, FLUSH_WINDOW_MS, type EngineOptions } from "../../../src/delivery/engine.js";
import type { OutgoingRequest } from "../../../src/delivery/sender.js";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import type { ClaimedDelivery, WebhookRecord } from "../../../src/store/store.js";
import { FakeClock } from "../../helpers/fake-clock.js";

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

  send(req: OutgoingRequest): Promise<SendResult> {
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
        this.clock.setTimeout(() => resolve(done({ kind: "error", error: `timed out after ${TIMEOUT_MS} ms`, latencyMs: TIMEOUT_MS })), TIMEOUT_MS),
      );
    }
    return Promise.resolve(done({ kind: "response", statusCode: answer, body: "", latencyMs: 1 }));
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
  store = new SqliteStore(":memory:", { now: () => clock.now() });
  await store.projects.insert({ id: projectId, displayName: "p", isDefault: true, createdAt: clock.now() });
  disabled = [];
  errors = [];
  engines = [];
});
afterEach(async () => {
  await store.close();
});

function startEngine(sender: ScriptedSender, options: Partial<EngineOptions> = {}, schedule = [5, 30]): DeliveryEngine {
  const engine = new DeliveryEngine(
    {
      store,
      sender,
      buildHeaders: async (delivery) => ({ "webhook-id": delivery.eventId }),
      policy: retryPolicy(schedule, () => 0.5),
      clock,
      workerId: `engine-${engines.length + 1}`,
      onDisable: async (webhooks) => {
        disabled.push(...webhooks);
      },
      observer: { attempt() {}, claimRound() {}, error: (err) => errors.push(err) },
    },
    { perEndpointConcurrency: 16, perEndpointQueue: 64, maxQueued: 4096, leaseMs: 120_000, idlePollMs: HOUR, ...options },
  );
  engines.push(engine);
  engine.start();
  return engine;
}

async function addWebhook(id: string): Promise<WebhookRecord> {
  const webhook: WebhookRecord = {
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

/** What another process could claim now: the deliveries this engine has not leased, or has handed back. */
function claimableByAnother(limit = 100): Promise<ClaimedDelivery[]> {
  return store.deliveries.claim({ now: clock.now(), lockedUntil: clock.now() + 1000, lockedBy: "other", limit, skipEndpoints: [], perEndpointLimit: limit });
}

/** Events to one webhook, queued as the outbox writes them; born leased to `engine` when given. */
async function publish(webhook: WebhookRecord, count = 1, engine?: DeliveryEngine): Promise<ClaimedDelivery[]> {
  const leased: ClaimedDelivery[] = [];
  for (let i = 0; i < count; i++) {
    const now = clock.now();
    const event: StoredEvent = {
      id: newEventId(),
      projectId,
      type: "export.succeeded",
      payload: { type: "export.succeeded", version: "v1", timestamp: "t", data: { id: `operations/${i}` } },
      createdAt: now,
    };
    const planned = planDeliveries(event, { kind: "webhook", webhookId: webhook.id }, [webhook], now, engine?.lease());
    await store.transaction(async (tx) => {
      await tx.events.insert([event]);
      await tx.deliveries.insert(planned);
    });
    leased.push(...planned.map(({ lease: _lease, ...d }) => ({ ...d, body: JSON.stringify(event.payload), sealedSecrets: "s" })));
  }
  return leased;
}

const deliveriesOf = async (webhookId: string) => (await store.deliveries.list(projectId, { webhookId }, PAGE)).items;

describe("DeliveryEngine, on fake time", () => {
  it("sends a due delivery and records its attempt and outcome", async () => {
    const hook = await addWebhook("a");
    await publish(hook);
    const sender = new ScriptedSender(clock, () => 200);
    startEngine(sender);
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
    startEngine(sender);
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
    startEngine(sender, {}, [10 * 3600]);
    for (let i = 0; i < 4; i++) await clock.advance(10 * HOUR);
    // Attempts at 0 h, 10 h, 20 h and at the window's edge, 24 h.
    expect(sender.requests).toHaveLength(4);
    expect((await deliveriesOf("a"))[0]).toMatchObject({ state: "failed", attemptCount: 4 });
    expect(disabled).toEqual([expect.objectContaining({ webhookId: "a", state: "disabled_due_to_failed_deliveries" })]);
  });

  it("has a webhook that answers 410 disabled at once", async () => {
    const hook = await addWebhook("a");
    await publish(hook);
    startEngine(new ScriptedSender(clock, () => 410));
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
    startEngine(sender, { perEndpointConcurrency: 4, perEndpointQueue: 8 });
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
    const engine = startEngine(sender, { perEndpointConcurrency: 2 });
    await clock.settle();
    expect(sender.requests).toHaveLength(2);
    const stopped = engine.stop();
    await clock.advance(TIMEOUT_MS);
    await stopped;
    // The two in flight timed out and were recorded; the four never started are claimable now, not in 120 s.
    const claimable = await claimableByAnother();
    expect(claimable.map((d) => d.attemptCount).sort()).toEqual([0, 0, 0, 0]);
    expect((await deliveriesOf("dead")).filter((d) => d.attemptCount === 1)).toHaveLength(2);
  });

  it("adopts deliveries born leased to it without claiming them, and hands back what it has no room for", async () => {
    const dead = await addWebhook("dead");
    const sender = new ScriptedSender(clock, () => "hang");
    const engine = startEngine(sender, { perEndpointConcurrency: 2, perEndpointQueue: 3 });
    await clock.settle();
    engine.adopt(await publish(dead, 5, engine));
    await clock.settle();
    expect(sender.requests).toHaveLength(2);
    // Three held (two in flight, one queued); two went back to the queue for whoever has room.
    const claimable = await claimableByAnother();
    expect(claimable).toHaveLength(2);
    expect(errors).toEqual([]);
  });
});

describe("DeliveryEngine, depth per endpoint", () => {
  it("lets an endpoint that answers fast hold more than the default depth, and a slow one only that", async () => {
    const fast = await addWebhook("fast");
    const slow = await addWebhook("slow");
    const sender = new ScriptedSender(clock, (uri) => (uri.includes("slow") ? "hang" : 200));
    const engine = startEngine(sender, { perEndpointConcurrency: 2, perEndpointQueue: 4 });
    await clock.settle();
    // Its latency measured once, the fast endpoint may hold what it sends within half a lease.
    engine.adopt(await publish(fast, 1, engine));
    await clock.settle();
    engine.adopt(await publish(fast, 50, engine));
    engine.adopt(await publish(slow, 50, engine));
    const claimable = await claimableByAnother(1000);
    expect(claimable.filter((d) => d.webhookId === "fast")).toHaveLength(0);
    expect(claimable.filter((d) => d.webhookId === "slow")).toHaveLength(46);
  });
});
