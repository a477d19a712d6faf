import { createHash, type Hash } from "node:crypto";
import { invalidArgument } from "./errors.js";

export type FileState = "PROCESSING" | "ACTIVE" | "FAILED";
export type FileSource = "UPLOADED" | "GENERATED";

/**
 * A stored file (docs/wire.md: files): uploads through the resumable protocol, and outputs that Tidings writes (batch
 * results, videos).
 */
export interface FileRecord {
  /** `[a-z0-9]` when Tidings picks it; a client may choose one (`[a-z0-9-]`, as Gemini allows) at upload. */
  id: string;
  projectId: string;
  displayName: string;
  mimeType: string;
  sizeBytes: number;
  /** Gemini's `sha256Hash` form: base64 of the hex SHA-256 digest. Absent until the bytes are complete. */
  sha256?: string;
  state: FileState;
  source: FileSource;
  createdAt: number;
  updatedAt: number;
  /** When it is deleted, with its bytes (TIDINGS_FILE_TTL after creation, 48 h by default, as Gemini). */
  expireAt?: number;
}

/** Gemini keeps files for 48 h; so does Tidings by default (TIDINGS_FILE_TTL), and deletes them then (retention). */
export const DEFAULT_FILE_TTL_MS = 48 * 60 * 60 * 1000;

export const FILE_STATES: readonly FileState[] = ["PROCESSING", "ACTIVE", "FAILED"];
export const FILE_SOURCES: readonly FileSource[] = ["UPLOADED", "GENERATED"];

export function fileName(id: string): string {
  return `files/${id}`;
}

/** Ids a client may choose (Gemini's rule): up to 40 of `[a-z0-9-]`, not starting or ending with a dash. */
const CHOSEN_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** `files/abc` or `abc` → `abc`, for the optional `file.name` a client sends at upload start. */
export function parseChosenFileId(name: string, field: string): string {
  const id = name.startsWith("files/") ? name.slice("files/".length) : name;
  if (!CHOSEN_ID.test(id)) {
    throw invalidArgument(
      field,
      `"${name}" is not a valid file name; use files/ followed by up to 40 lowercase letters, digits or dashes (not at either end), or leave it out`,
    );
  }
  return id;
}

/** The id in a `files/{id}` name, when it is one (an operation's output_file_uri may name anything); else undefined. */
export function fileIdOf(uri: string): string | undefined {
  const id = uri.startsWith("files/") ? uri.slice("files/".length) : undefined;
  return id !== undefined && CHOSEN_ID.test(id) ? id : undefined;
}

/** Incremental Gemini-style hash: feed it the bytes in order, then `digest` once. */
export function newFileHash(): Hash {
  return createHash("sha256");
}

export function fileHashDigest(hash: Hash): string {
  return Buffer.from(hash.digest("hex"), "utf8").toString("base64");
}
