import { batchName, isBatchDone, type BatchState } from "../core/batches.js";
import { fileIdOf } from "../core/files.js";
import { operationName, type OperationState } from "../core/operations.js";
import { isVideoDone, videoOperationName, type VideoState } from "../core/videos.js";
import type { Services } from "../services/index.js";
import type { ListedOperation } from "../services/operations.js";

export type Tone = "ok" | "bad" | "busy" | "warn";

/** Work done so far, for a progress bar. */
export interface Progress {
  completed: number;
  total: number;
  failed: number;
}

type Fact = [label: string, value: string];

/** What the operations pages show of any kind of operation. */
export interface OperationSummary {
  /** The resource name the API knows it by (`operations/…`, `batches/…`): its events carry it too. */
  name: string;
  kind: ListedOperation["kind"];
  /** Its key in the dashboard's URLs (for a video, `{model}/{id}`: its service finds it by both). */
  id: string;
  /** What it is: a custom operation's type, a batch's model. */
  label: string;
  state: string;
  tone: Tone;
  done: boolean;
  progress?: Progress;
  /** What it produced, when that is a file of this project: a link to download it (and a preview, for a video). */
  output?: { fileId: string; video: boolean };
  createdAt: number;
  updatedAt: number;
  /** Further facts for its own page, in order. */
  facts: Fact[];
}

type OfKind<K extends ListedOperation["kind"]> = Extract<ListedOperation, { kind: K }>;

/** How the dashboard shows one kind of operation, and fetches one by id. */
export interface OperationKindView<K extends ListedOperation["kind"]> {
  /** Its name in filters and headings. */
  title: string;
  summary(item: OfKind<K>): OperationSummary;
  get(services: Services, projectId: string, id: string): Promise<OfKind<K>>;
}

const CUSTOM_TONE: Record<OperationState, Tone> = {
  running: "busy",
  succeeded: "ok",
  failed: "bad",
  cancelled: "warn",
  expired: "warn",
};
/** Batch states as the other kinds' read: `succeeded`, not the wire's `BATCH_STATE_SUCCEEDED`. */
const BATCH_STATE_SHOWN: Record<BatchState, string> = {
  BATCH_STATE_PENDING: "pending",
  BATCH_STATE_RUNNING: "running",
  BATCH_STATE_SUCCEEDED: "succeeded",
  BATCH_STATE_FAILED: "failed",
  BATCH_STATE_CANCELLED: "cancelled",
  BATCH_STATE_EXPIRED: "expired",
};

const BATCH_TONE: Record<BatchState, Tone> = {
  BATCH_STATE_PENDING: "busy",
  BATCH_STATE_RUNNING: "busy",
  BATCH_STATE_SUCCEEDED: "ok",
  BATCH_STATE_FAILED: "bad",
  BATCH_STATE_CANCELLED: "warn",
  BATCH_STATE_EXPIRED: "warn",
};

const VIDEO_TONE: Record<VideoState, Tone> = { pending: "busy", running: "busy", succeeded: "ok", failed: "bad" };

const json = (value: unknown) => JSON.stringify(value);
/** A produced file, when the URI names one of this project's files. */
const outputFile = (uri: string | undefined, video: boolean) => {
  const fileId = uri === undefined ? undefined : fileIdOf(uri);
  return fileId === undefined ? {} : { output: { fileId, video } };
};

/** The facts that have a value, in order. */
function facts(...rows: [label: string, value: string | undefined][]): Fact[] {
  return rows.filter((row): row is Fact => row[1] !== undefined);
}

/** What every kind shows last: how it failed, and where its events go. */
function endingFacts(item: {
  error?: { code: number; message: string };
  webhookConfig?: { uris: string[] };
}): [string, string | undefined][] {
  return [
    ["Error", item.error === undefined ? undefined : `${item.error.code}: ${item.error.message}`],
    ["Webhook targets", item.webhookConfig?.uris.join(" ")],
  ];
}

/**
 * Every kind the polling surface lists (GET /v1/operations), by kind. The mapped type makes the compiler ask
 * for an entry when a kind is added to ListedOperation: a new kind is one entry here, nothing else.
 */
export const OPERATION_KINDS: { [K in ListedOperation["kind"]]: OperationKindView<K> } = {
  custom: {
    title: "Custom",
    summary: ({ operation: op }) => ({
      name: operationName(op.id),
      kind: "custom",
      id: op.id,
      label: op.type,
      state: op.state,
      tone: CUSTOM_TONE[op.state],
      done: op.state !== "running",
      ...outputFile(op.outputFileUri, false),
      createdAt: op.createdAt,
      updatedAt: op.updatedAt,
      facts: facts(
        ["Metadata", json(op.metadata)],
        ["Expires", op.expireAt === undefined ? undefined : new Date(op.expireAt).toISOString()],
        // A URI of the caller's own (not one of this project's files) is shown as given; a file is a link.
        [
          "Output",
          op.outputFileUri !== undefined && fileIdOf(op.outputFileUri) === undefined ? op.outputFileUri : undefined,
        ],
        ...endingFacts(op),
      ),
    }),
    get: async (services, projectId, id) => ({
      kind: "custom",
      operation: await services.operations.get(projectId, id),
    }),
  },
  batch: {
    title: "Batch",
    summary: ({ batch }) => ({
      name: batchName(batch.id),
      kind: "batch",
      id: batch.id,
      label: batch.displayName ? `${batch.model} · ${batch.displayName}` : batch.model,
      state: BATCH_STATE_SHOWN[batch.state],
      tone: BATCH_TONE[batch.state],
      done: isBatchDone(batch.state),
      progress: {
        completed: batch.successfulRequestCount + batch.failedRequestCount,
        total: batch.requestCount,
        failed: batch.failedRequestCount,
      },
      ...outputFile(batch.outputFile, false),
      createdAt: batch.createdAt,
      updatedAt: batch.updatedAt,
      facts: facts(
        ["Requests", String(batch.requestCount)],
        ["Input", batch.inputFile],
        ["Deadline", new Date(batch.deadlineAt).toISOString()],
        ...endingFacts(batch),
      ),
    }),
    get: async (services, projectId, id) => ({ kind: "batch", batch: await services.batches.get(projectId, id) }),
  },
  video: {
    title: "Video",
    summary: ({ video }) => ({
      name: videoOperationName(video.model, video.id),
      kind: "video",
      id: `${video.model}/${video.id}`,
      label: video.model,
      state: video.state,
      tone: VIDEO_TONE[video.state],
      done: isVideoDone(video.state),
      ...(video.fileId !== undefined ? { output: { fileId: video.fileId, video: true } } : {}),
      createdAt: video.createdAt,
      updatedAt: video.updatedAt,
      facts: facts(
        ["Prompt", video.prompt],
        ["Parameters", video.parameters === undefined ? undefined : json(video.parameters)],
        ...endingFacts(video),
      ),
    }),
    get: async (services, projectId, key) => {
      const slash = key.lastIndexOf("/");
      return { kind: "video", video: await services.videos.get(projectId, key.slice(0, slash), key.slice(slash + 1)) };
    },
  },
};

export function summarizeOperation(item: ListedOperation): OperationSummary {
  return (OPERATION_KINDS[item.kind] as OperationKindView<typeof item.kind>).summary(item as never);
}

export function isOperationKind(kind: string): kind is ListedOperation["kind"] {
  return Object.hasOwn(OPERATION_KINDS, kind);
}
