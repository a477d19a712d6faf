import type { Readable } from "node:stream";

/** Bytes in one piece, or as they arrive (an HTTP body, a generator). */
export type BlobData = AsyncIterable<Uint8Array> | Buffer;

/**
 * Where file bytes live; file metadata lives in the Store. A blob is first written *pending*, invisible to
 * `read`: in one call, or in several appends as the chunks of a resumable upload arrive in separate
 * POSTs. `commit` then publishes it under its final key in one atomic step, so a crash or an abandoned
 * upload never leaves a half file readable.
 *
 * Keys are `/`-separated segments of `[A-Za-z0-9_-]` (Tidings uses `{projectId}/{fileId}`).
 * DiskBlobStore keeps blobs in the data dir; with PostgreSQL and several processes that dir must be
 * shared by all of them (the process that took an upload may not be the one asked to download it), or
 * another implementation of this interface (an object store) takes its place.
 */
export interface BlobStore {
  /**
   * Writes `data` into the pending blob `key`, from scratch or, with `append`, after what it holds.
   * Resolves to the pending blob's size. If `data` fails midway (the client went away, a size limit
   * tripped), the pending blob is cut back to its size before the call, so the chunk can be sent again
   * at the same offset.
   */
  write(key: string, data: BlobData, append?: boolean): Promise<number>;
  /** Publishes the pending blob `pendingKey` as the blob `key`, atomically and durably. */
  commit(pendingKey: string, key: string): Promise<void>;
  /** A published blob's bytes. Throws BlobNotFoundError at once (not later, mid-stream) when it is missing. */
  read(key: string): Readable;
  /** Removes the blob `key`, published or pending; a missing one is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes pending blobs not written to for `ageMs`: uploads a crash or a client abandoned. The age is the
   * storage's own (file modification times), so it is measured against the storage's clock, not the server's.
   */
  deletePendingOlderThan(ageMs: number): Promise<number>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} not found`);
    this.name = "BlobNotFoundError";
  }
}
