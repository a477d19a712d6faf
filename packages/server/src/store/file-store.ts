import type { FileRecord } from "../core/files.js";
import type { Page, PageRequest } from "../core/pages.js";

/**
 * File metadata (the bytes live in a BlobStore). Kept apart from the main Store interface so that each
 * driver's file code sits in one small file; `Store.files` exposes it.
 */
export interface FileStore {
  /** Fails if the project already has a file with this id. */
  insert(file: FileRecord): Promise<void>;
  get(projectId: string, id: string): Promise<FileRecord | undefined>;
  /** Oldest first, like every other list. */
  list(projectId: string, page: PageRequest): Promise<Page<FileRecord>>;
  /** Rewrites the mutable fields (display name, size, hash, state, times) of an existing file. */
  update(file: FileRecord): Promise<void>;
  delete(projectId: string, id: string): Promise<boolean>;
}
