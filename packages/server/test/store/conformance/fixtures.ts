import type { Batch, BatchLine } from "../../../src/core/batches.js";
import type { Delivery, PlannedDelivery } from "../../../src/core/deliveries.js";
import type { NewEvent, StoredEvent } from "../../../src/core/events.js";
import { endpointKey } from "../../../src/core/fanout.js";
import type { FileRecord } from "../../../src/core/files.js";
import { newResourceId } from "../../../src/core/ids.js";
import type { Interaction } from "../../../src/core/interactions.js";
import type { Operation, OperationEnding } from "../../../src/core/operations.js";
import type { VideoOperation } from "../../../src/core/videos.js";
import type { BornLease, OperationEndingRef, Store, WebhookRecord } from "../../../src/store/store.js";

export const T0 = Date.parse("2026-05-04T12:00:00Z");
export const PAGE = { pageSize: 50, offset: 0 };

/** What each aggregate's suite gets: a fresh store (its own file or schema) with one project in it. */
export interface StoreFixture {
  store: Store;
  projectId: string;
}

export const webhook = (projectId: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id: newResourceId(T0),
  projectId,
  name: "",
  uri: "https://example.com/hook",
  subscribedEvents: ["*"],
  state: "enabled",
  signingScheme: "v1",
  sealedSecrets: "sealed",
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

export const operation = (projectId: string, overrides: Partial<Operation> = {}): Operation => ({
  id: newResourceId(T0),
  projectId,
  type: "export",
  state: "running",
  metadata: {},
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

/** An ending of `op` (store: endMany) to `state` at `at`. */
export const ended = (
  op: Operation,
  at: number,
  state: OperationEnding["state"] = "succeeded",
): OperationEndingRef => ({ projectId: op.projectId, id: op.id, ending: { state, updatedAt: at } });

export const event = (projectId: string, overrides: Partial<NewEvent> = {}): NewEvent => ({
  projectId,
  type: "export.succeeded",
  operation: "operations/x",
  payload: {
    type: "export.succeeded",
    version: "v1",
    timestamp: "2026-05-04T12:00:00.000Z",
    data: { id: "operations/x" },
  },
  createdAt: T0,
  ...overrides,
});

/** A delivery of `e` to a static webhook (`webhookId`, its URI) or a dynamic URI. */
export const delivery = (
  e: StoredEvent,
  target: { webhookId?: string; uri?: string } = {},
  overrides: Partial<PlannedDelivery> = {},
): PlannedDelivery => {
  const uri = target.uri ?? "https://example.com/hook";
  return {
    eventId: e.id,
    projectId: e.projectId,
    ...(target.webhookId !== undefined ? { webhookId: target.webhookId } : {}),
    uri,
    endpointKey: endpointKey(target.webhookId, uri),
    windowStartAt: e.createdAt,
    createdAt: e.createdAt,
    ...overrides,
  };
};

export const batch = (projectId: string, overrides: Partial<Batch> = {}): Batch => ({
  id: newResourceId(T0),
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

export const batchLines = (): BatchLine[] => [
  { index: 0, key: "a", request: '{"contents":[]}', state: "pending" },
  { index: 1, key: "b", request: '{"contents":[]}', state: "pending" },
  { index: 2, key: "line-3", state: "failed", result: '{"error":{"code":400,"message":"not JSON"}}' },
];

export const file = (projectId: string, overrides: Partial<FileRecord> = {}): FileRecord => ({
  id: newResourceId(T0),
  projectId,
  displayName: "in",
  mimeType: "application/jsonl",
  // Past 2^32, so a driver that truncates to 32 bits fails.
  sizeBytes: 5_000_000_000,
  sha256: "c2hh",
  state: "ACTIVE",
  source: "UPLOADED",
  createdAt: T0,
  updatedAt: T0,
  expireAt: T0 + 48 * 3_600_000,
  ...overrides,
});

export const interaction = (projectId: string, overrides: Partial<Interaction> = {}): Interaction => ({
  id: newResourceId(T0),
  projectId,
  model: "gemini-2.5-flash",
  status: "in_progress",
  history: [],
  steps: [{ type: "user_input", content: [{ type: "text", text: "Weather in Paris?" }] }],
  inputCount: 1,
  background: true,
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

export const video = (projectId: string, overrides: Partial<VideoOperation> = {}): VideoOperation => ({
  id: newResourceId(T0),
  projectId,
  model: "veo-3.0-generate-001",
  state: "pending",
  prompt: "a red ball bouncing",
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

/**
 * An event and its deliveries as the outbox writes them in one transaction: queued (as a process without an engine
 * writes them) or, with `lease`, born leased to that worker. `targets` are given the stored event.
 */
export async function written(
  store: Store,
  e: NewEvent,
  targets: (stored: StoredEvent) => PlannedDelivery[],
  options: { now?: number; lease?: BornLease } = {},
): Promise<{ event: StoredEvent; deliveries: Delivery[] }> {
  return store.transaction(async (tx) => {
    const [stored] = await tx.events.insert([e]);
    const deliveries = await tx.deliveries.insert(targets(stored!), options.now ?? e.createdAt, options.lease);
    return { event: stored!, deliveries };
  });
}
