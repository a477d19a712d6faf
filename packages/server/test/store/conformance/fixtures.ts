import type { Batch, BatchLine } from "../../../src/core/batches.js";
import type { NewDelivery } from "../../../src/core/deliveries.js";
import type { StoredEvent } from "../../../src/core/events.js";
import { endpointKey } from "../../../src/core/fanout.js";
import type { FileRecord } from "../../../src/core/files.js";
import { newEventId, newResourceId } from "../../../src/core/ids.js";
import type { Interaction } from "../../../src/core/interactions.js";
import type { Operation } from "../../../src/core/operations.js";
import type { VideoOperation } from "../../../src/core/videos.js";
import type { Store, WebhookRecord } from "../../../src/store/store.js";

export const T0 = Date.parse("2026-05-04T12:00:00Z");
export const PAGE = { pageSize: 50, offset: 0 };

/** What each aggregate's suite gets: a fresh store (its own file or schema) with one project in it. */
export interface StoreFixture {
  store: Store;
  projectId: string;
}

export const webhook = (projectId: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id: newResourceId(),
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
  id: newResourceId(),
  projectId,
  type: "export",
  state: "running",
  metadata: {},
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

export const event = (projectId: string, overrides: Partial<StoredEvent> = {}): StoredEvent => ({
  id: newEventId(),
  projectId,
  type: "export.succeeded",
  operation: "operations/x",
  payload: { type: "export.succeeded", version: "v1", timestamp: "2026-05-04T12:00:00.000Z", data: { id: "operations/x" } },
  createdAt: T0,
  ...overrides,
});

export const delivery = (e: StoredEvent, target: { webhookId?: string; uri?: string } = {}, overrides: Partial<NewDelivery> = {}): NewDelivery => {
  const uri = target.uri ?? "https://example.com/hook";
  return {
    id: newResourceId(),
    projectId: e.projectId,
    eventId: e.id,
    webhookId: target.webhookId,
    uri,
    endpointKey: endpointKey(target.webhookId, uri),
    state: "pending",
    attemptCount: 0,
    nextAttemptAt: e.createdAt,
    windowStartAt: e.createdAt,
    createdAt: e.createdAt,
    updatedAt: e.createdAt,
    ...overrides,
  };
};

export const batch = (projectId: string, overrides: Partial<Batch> = {}): Batch => ({
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

export const batchLines = (): BatchLine[] => [
  { index: 0, key: "a", request: '{"contents":[]}', state: "pending" },
  { index: 1, key: "b", request: '{"contents":[]}', state: "pending" },
  { index: 2, key: "line-3", state: "failed", result: '{"error":{"code":400,"message":"not JSON"}}' },
];

export const file = (projectId: string, overrides: Partial<FileRecord> = {}): FileRecord => ({
  id: newResourceId(),
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
  id: newResourceId(),
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
  id: newResourceId(),
  projectId,
  model: "veo-3.0-generate-001",
  state: "pending",
  prompt: "a red ball bouncing",
  createdAt: T0,
  updatedAt: T0,
  ...overrides,
});

/** An event with deliveries already in the queue, as the outbox would have written them. */
export async function queued(store: Store, e: StoredEvent, deliveries: NewDelivery[]): Promise<NewDelivery[]> {
  await store.transaction(async (tx) => {
    await tx.events.insert([e]);
    await tx.deliveries.insert(deliveries);
  });
  return deliveries;
}
