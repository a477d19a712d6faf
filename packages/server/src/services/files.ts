import type { Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { found, invalidArgument, notFound, TidingsError } from "../core/errors.js";
import {
  fileHashDigest,
  fileName,
  newFileHash,
  parseChosenFileId,
  type FileRecord,
  type FileSource,
} from "../core/files.js";
import { LimitExceededError } from "../core/limits.js";
import { newResourceId } from "../core/ids.js";
import type { Page, PageRequest } from "../core/pages.js";
import { BlobNotFoundError, type BlobData, type BlobStore } from "../files/blob-store.js";
import type { ServiceContext } from "./context.js";
import { refused } from "./limits.js";

export interface FileServiceOptions {
  blobs: BlobStore;
  /**
   * The server's public URL, for the `uri` and `downloadUri` of files and for upload URLs: known once the server
   * listens when the system picks its port.
   */
  publicUrl: () => string;
  /** TIDINGS_MAX_FILE_BYTES: the largest file accepted (default 2 GiB, as Gemini). */
  maxFileBytes: number;
  /** TIDINGS_FILE_TTL: how long a file is kept, its expireTime (default 48 h, as Gemini's Files API). */
  ttlMs: number;
  /** TIDINGS_MAX_UPLOADS_PER_PROJECT: upload sessions one project may hold open in this process. */
  maxUploadsPerProject: number;
  /**
   * TIDINGS_MAX_PROJECT_FILE_BYTES: what one project's files may weigh, uploads in progress counted at their declared
   * size.
   */
  maxProjectFileBytes: number;
}

export interface StartUploadInput {
  displayName?: string;
  mimeType: string;
  /** Declared up front (X-Goog-Upload-Header-Content-Length); the upload must end at exactly this size. */
  sizeBytes: number;
  /** `files/{id}` to choose the id, as Gemini allows; otherwise Tidings picks one. */
  name?: string;
}

export interface UploadProgress {
  status: "active" | "final";
  /** Bytes received so far (X-Goog-Upload-Size-Received). */
  received: number;
  /** The finished file, once finalized. */
  file?: FileRecord;
}

/** A resumable upload in progress. */
interface UploadSession {
  id: string;
  projectId: string;
  fileId: string;
  displayName: string;
  mimeType: string;
  sizeBytes: number;
  received: number;
  /** SHA-256 of the bytes received so far; the next chunk is hashed into a copy, kept only if it lands. */
  hash: Hash;
  /** A chunk is being written: a second one at the same time would race it for the offset. */
  busy: boolean;
  touchedAt: number;
}

// The header names are the wire fields a client fixes, so errors name them.
const LENGTH_FIELD = "X-Goog-Upload-Header-Content-Length";
const TYPE_FIELD = "X-Goog-Upload-Header-Content-Type";
const OFFSET_FIELD = "X-Goog-Upload-Offset";
const MIME_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/;
const MAX_DISPLAY_NAME = 512;
/** An upload untouched this long is dropped with its bytes; so are pending blobs a crash left behind. */
const SESSION_IDLE_MS = 24 * 60 * 60 * 1000;
/**
 * A session that has not received a byte this long after it started is dropped: a client that means to upload
 * sends its first chunk at once, and an unused session still holds a slot of its project's and its declared bytes.
 */
const UNSTARTED_SESSION_MS = 15 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** Open sessions per process: each holds a hash state and maybe a pending blob. */
const MAX_SESSIONS = 10_000;

/**
 * Files (docs/wire.md: files): Gemini's resumable uploads, downloads, and files Tidings writes itself (batch
 * outputs). Metadata lives in the Store, bytes in a BlobStore.
 *
 * Upload sessions live in this process's memory: they survive nothing. After a restart, or when a
 * chunk reaches a different process than the one that started the upload (several processes behind
 * one address), the upload URL answers 404 and the client starts again. The file itself only appears,
 * ACTIVE, when the upload is finalized.
 */
export class FileService {
  private readonly sessions = new Map<string, UploadSession>();
  private lastSweep = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: FileServiceOptions,
  ) {}

  get publicUrl(): string {
    return this.options.publicUrl();
  }

  get maxFileBytes(): number {
    return this.options.maxFileBytes;
  }

  /** Begins a resumable upload; the bytes follow with appendChunk. */
  async startUpload(projectId: string, input: StartUploadInput): Promise<{ uploadId: string }> {
    this.sweep();
    const { sizeBytes, mimeType } = input;
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw invalidArgument(LENGTH_FIELD, "must be the file's size in bytes, a non-negative integer");
    }
    this.checkSize(sizeBytes, LENGTH_FIELD);
    if (!MIME_TYPE.test(mimeType))
      throw invalidArgument(TYPE_FIELD, `"${mimeType}" is not a MIME type such as application/jsonl`);
    const displayName = this.checkDisplayName(input.displayName, "file.displayName");
    let fileId = newResourceId(this.ctx.clock.now());
    if (input.name !== undefined && input.name !== "") {
      fileId = parseChosenFileId(input.name, "file.name");
      await this.checkFree(projectId, fileId);
    }
    const id = newResourceId(this.ctx.clock.now());
    await this.admit({
      id,
      projectId,
      fileId,
      displayName,
      mimeType,
      sizeBytes,
      received: 0,
      hash: newFileHash(),
      busy: false,
      touchedAt: this.ctx.clock.now(),
    });
    return { uploadId: id };
  }

  /**
   * Adds the chunk that starts at `offset` (which must be exactly the bytes received so far) and, with
   * `finalize`, completes the upload: the total must then equal the declared size. A chunk that fails
   * leaves no trace, so it can be sent again at the same offset.
   */
  async appendChunk(
    projectId: string,
    uploadId: string,
    offset: number,
    data: BlobData,
    finalize: boolean,
  ): Promise<UploadProgress> {
    const session = this.session(projectId, uploadId);
    if (session.busy) {
      throw new TidingsError(
        "FAILED_PRECONDITION",
        "another chunk of this upload is still being received; send chunks one after another",
      );
    }
    if (!Number.isSafeInteger(offset) || offset !== session.received) {
      throw invalidArgument(
        OFFSET_FIELD,
        `is ${offset} but this upload has ${session.received} bytes; send the chunk that starts at byte ${session.received}`,
      );
    }
    session.busy = true;
    try {
      const hash = session.hash.copy();
      const room = session.sizeBytes - session.received;
      const limited = limit(data, room, hash, () =>
        invalidArgument(
          LENGTH_FIELD,
          `declared this upload as ${session.sizeBytes} bytes; the chunk at offset ${offset} goes past that`,
        ),
      );
      session.received = await this.options.blobs.write(this.pendingKey(session), limited, session.received > 0);
      session.hash = hash;
      session.touchedAt = this.ctx.clock.now();
      if (!finalize) return { status: "active", received: session.received };
      if (session.received !== session.sizeBytes) {
        throw invalidArgument(
          LENGTH_FIELD,
          `declared this upload as ${session.sizeBytes} bytes but it was finalized after ${session.received}; send the rest, then finalize`,
        );
      }
      const file = await this.publish(session);
      this.sessions.delete(session.id);
      return { status: "final", received: session.received, file };
    } finally {
      session.busy = false;
    }
  }

  /** The project that started an upload: its session URL authenticates the requests that carry no key. */
  uploadProject(uploadId: string): string {
    const session = this.sessions.get(uploadId);
    if (session === undefined || this.expired(session)) throw uploadNotFound();
    return session.projectId;
  }

  /** How far an upload has got (the protocol's `query` command), so a client can resume after an error. */
  uploadStatus(projectId: string, uploadId: string): { received: number; sizeBytes: number } {
    const session = this.session(projectId, uploadId);
    return { received: session.received, sizeBytes: session.sizeBytes };
  }

  async cancelUpload(projectId: string, uploadId: string): Promise<void> {
    const session = this.session(projectId, uploadId);
    this.sessions.delete(uploadId);
    await this.options.blobs.delete(this.pendingKey(session));
  }

  /** Stores a whole file at once, ACTIVE at once: how Tidings writes outputs (batch result JSONL, videos). */
  async create(
    projectId: string,
    meta: { displayName?: string; mimeType: string; source?: FileSource },
    data: BlobData,
  ): Promise<FileRecord> {
    const displayName = this.checkDisplayName(meta.displayName, "displayName");
    if (!MIME_TYPE.test(meta.mimeType))
      throw invalidArgument("mimeType", `"${meta.mimeType}" is not a MIME type such as application/jsonl`);
    const id = newResourceId(this.ctx.clock.now());
    const key = blobKey(projectId, id);
    const hash = newFileHash();
    const limited = limit(data, this.options.maxFileBytes, hash, () =>
      invalidArgument(
        "sizeBytes",
        `the file is larger than the ${this.options.maxFileBytes}-byte limit (TIDINGS_MAX_FILE_BYTES)`,
      ),
    );
    let sizeBytes: number;
    try {
      sizeBytes = await this.options.blobs.write(key, limited);
    } catch (err) {
      await this.options.blobs.delete(key).catch(() => {});
      throw err;
    }
    const now = this.ctx.clock.now();
    const file: FileRecord = {
      id,
      projectId,
      displayName,
      mimeType: meta.mimeType,
      sizeBytes,
      sha256: fileHashDigest(hash),
      state: "ACTIVE",
      source: meta.source ?? "GENERATED",
      createdAt: now,
      updatedAt: now,
      expireAt: now + this.options.ttlMs,
    };
    await this.commit(key, file);
    return file;
  }

  async get(projectId: string, id: string): Promise<FileRecord> {
    return found(await this.ctx.store.files.get(projectId, id), fileName(id));
  }

  list(projectId: string, page: PageRequest): Promise<Page<FileRecord>> {
    return this.ctx.store.files.list(projectId, page);
  }

  async delete(projectId: string, id: string): Promise<void> {
    if (!(await this.forget(projectId, id))) throw notFound(fileName(id));
  }

  /** Deletes the record first, so nobody can start reading bytes that are about to go; false when it was not there. */
  async forget(projectId: string, id: string): Promise<boolean> {
    if (!(await this.ctx.store.files.delete(projectId, id))) return false;
    await this.options.blobs.delete(blobKey(projectId, id)).catch((err: unknown) => {
      this.ctx.log.warn({ err, file: fileName(id) }, "file deleted but its bytes could not be removed");
    });
    return true;
  }

  /** The file and a stream of its bytes. The caller must consume or destroy the stream. */
  async open(projectId: string, id: string): Promise<{ file: FileRecord; stream: Readable }> {
    const file = await this.get(projectId, id);
    if (file.state !== "ACTIVE") {
      throw new TidingsError(
        "FAILED_PRECONDITION",
        `${fileName(id)} is ${file.state}; its bytes can be read once it is ACTIVE`,
      );
    }
    try {
      return { file, stream: this.options.blobs.read(blobKey(projectId, id)) };
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err;
      this.ctx.log.error({ file: fileName(id) }, "file record without bytes");
      throw notFound(`the bytes of ${fileName(id)} (with several processes, every one must share TIDINGS_DATA_DIR)`);
    }
  }

  private async publish(session: UploadSession): Promise<FileRecord> {
    const now = this.ctx.clock.now();
    const file: FileRecord = {
      id: session.fileId,
      projectId: session.projectId,
      displayName: session.displayName,
      mimeType: session.mimeType,
      sizeBytes: session.received,
      sha256: fileHashDigest(session.hash),
      state: "ACTIVE",
      source: "UPLOADED",
      createdAt: now,
      updatedAt: now,
      expireAt: now + this.options.ttlMs,
    };
    // A chosen id may have been taken while the bytes arrived.
    await this.checkFree(session.projectId, file.id, session);
    await this.commit(this.pendingKey(session), file);
    return file;
  }

  /**
   * Publishes the bytes, then the record: a crash in between leaves an unreferenced blob, never a file without bytes.
   */
  private async commit(pendingKey: string, file: FileRecord): Promise<void> {
    const key = blobKey(file.projectId, file.id);
    await this.options.blobs.commit(pendingKey, key);
    try {
      await this.ctx.store.files.insert(file);
    } catch (err) {
      await this.options.blobs.delete(key).catch(() => {});
      throw err;
    }
  }

  private session(projectId: string, uploadId: string): UploadSession {
    const session = this.sessions.get(uploadId);
    // Another project's upload id is as unknown as a made-up one.
    if (session === undefined || session.projectId !== projectId || this.expired(session)) throw uploadNotFound();
    return session;
  }

  /**
   * Idle past its time (shorter before the first byte): the sweep may not have run yet, but the URL no longer works.
   */
  private expired(session: UploadSession): boolean {
    if (session.busy || this.ctx.clock.now() - session.touchedAt < idleLimit(session)) return false;
    this.sessions.delete(session.id);
    void this.options.blobs.delete(this.pendingKey(session)).catch(() => {});
    return true;
  }

  /**
   * Opens `session` if its project has room for it: fewer open sessions than its cap, and its stored bytes plus
   * those its open sessions declared plus this one's within its quota. Everything after the one read, the
   * session's entry included, is synchronous, so two starts in this process cannot both take the last slot.
   */
  private async admit(session: UploadSession): Promise<void> {
    const { projectId, sizeBytes } = session;
    const stored = await this.ctx.store.files.totalBytes(projectId);
    const { maxUploadsPerProject, maxProjectFileBytes } = this.options;
    let open = 0;
    let declared = 0;
    for (const other of this.sessions.values()) {
      if (other.projectId !== projectId || this.expired(other)) continue;
      open += 1;
      declared += other.sizeBytes;
    }
    if (open >= maxUploadsPerProject) {
      throw refused(
        this.ctx,
        new LimitExceededError(
          "uploads_per_project",
          `this project has ${open} uploads in progress, the most TIDINGS_MAX_UPLOADS_PER_PROJECT (${maxUploadsPerProject}) allows; finish or cancel one, then retry`,
        ),
      );
    }
    if (stored + declared + sizeBytes > maxProjectFileBytes) {
      throw refused(
        this.ctx,
        new LimitExceededError(
          "project_file_bytes",
          `this project stores ${stored} bytes of files and has ${declared} more on the way; ${sizeBytes} more would pass TIDINGS_MAX_PROJECT_FILE_BYTES (${maxProjectFileBytes}); delete files it no longer needs, then retry`,
        ),
      );
    }
    if (this.sessions.size >= MAX_SESSIONS) {
      throw refused(
        this.ctx,
        new LimitExceededError(
          "uploads",
          `too many uploads in progress on this server (${MAX_SESSIONS}); finish or cancel some, then retry`,
        ),
      );
    }
    this.sessions.set(session.id, session);
  }

  private async checkFree(projectId: string, fileId: string, self?: UploadSession): Promise<void> {
    const inFlight = [...this.sessions.values()].some(
      (s) => s !== self && s.projectId === projectId && s.fileId === fileId,
    );
    if (inFlight || (await this.ctx.store.files.get(projectId, fileId)) !== undefined) {
      throw new TidingsError(
        "ALREADY_EXISTS",
        `file.name: ${fileName(fileId)} already exists; choose another name or leave it out`,
        "file.name",
      );
    }
  }

  private checkSize(sizeBytes: number, field: string): void {
    if (sizeBytes > this.options.maxFileBytes) {
      throw invalidArgument(
        field,
        `${sizeBytes} bytes is more than the ${this.options.maxFileBytes}-byte limit (TIDINGS_MAX_FILE_BYTES)`,
      );
    }
  }

  private checkDisplayName(value: string | undefined, field: string): string {
    if (value === undefined) return "";
    if (value.length > MAX_DISPLAY_NAME) throw invalidArgument(field, `must be at most ${MAX_DISPLAY_NAME} characters`);
    return value;
  }

  private pendingKey(session: UploadSession): string {
    // The upload id, not the file id: two uploads choosing one name must not share a pending blob.
    return blobKey(session.projectId, session.id);
  }

  /** Drops idle sessions and orphaned pending blobs, at most hourly, in the background. */
  private sweep(): void {
    const now = this.ctx.clock.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    for (const session of this.sessions.values()) {
      if (now - session.touchedAt >= idleLimit(session) && !session.busy) this.sessions.delete(session.id);
    }
    this.options.blobs.deletePendingOlderThan(SESSION_IDLE_MS).catch((err: unknown) => {
      this.ctx.log.warn({ err }, "could not remove abandoned uploads");
    });
  }
}

function idleLimit(session: UploadSession): number {
  return session.received === 0 ? UNSTARTED_SESSION_MS : SESSION_IDLE_MS;
}

function uploadNotFound(): TidingsError {
  return new TidingsError(
    "NOT_FOUND",
    "upload session not found: it was finalized or cancelled, received no byte within 15 minutes of its start, sat idle for 24 h, or the server restarted (sessions live in memory); start the upload again",
  );
}

export function blobKey(projectId: string, id: string): string {
  return `${projectId}/${id}`;
}

/** Passes at most `max` bytes through, hashing them; one byte more throws `tooLarge()`. */
async function* limit(data: BlobData, max: number, hash: Hash, tooLarge: () => Error): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of Buffer.isBuffer(data) ? [data] : data) {
    total += chunk.length;
    if (total > max) throw tooLarge();
    hash.update(chunk);
    yield chunk;
  }
}
