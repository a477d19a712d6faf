import type { FileRecord, FileSource, FileState } from "../core/files.js";

/** The files table's row, shared by the SQL drivers; pg hands BIGINT columns over as strings. */
export interface FileRow {
  id: string;
  project_id: string;
  display_name: string;
  mime_type: string;
  size_bytes: number | string;
  sha256: string | null;
  state: string;
  source: string;
  created_at: number | string;
  updated_at: number | string;
  expire_at: number | string | null;
}

export const toFile = (r: FileRow): FileRecord => ({
  id: r.id,
  projectId: r.project_id,
  displayName: r.display_name,
  mimeType: r.mime_type,
  sizeBytes: Number(r.size_bytes),
  ...(r.sha256 !== null ? { sha256: r.sha256 } : {}),
  state: r.state as FileState,
  source: r.source as FileSource,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  ...(r.expire_at !== null ? { expireAt: Number(r.expire_at) } : {}),
});

/** Column values in table order; times rounded because PostgreSQL's BIGINT refuses fractions. */
export const fileValues = (f: FileRecord): unknown[] => [
  f.id,
  f.projectId,
  f.displayName,
  f.mimeType,
  f.sizeBytes,
  f.sha256 ?? null,
  f.state,
  f.source,
  Math.round(f.createdAt),
  Math.round(f.updatedAt),
  f.expireAt === undefined ? null : Math.round(f.expireAt),
];

/**
 * What `update` may change, in the drivers' SET order: display_name, size_bytes, sha256, state, updated_at, expire_at.
 */
export const fileUpdateValues = (f: FileRecord): unknown[] => [
  f.displayName,
  f.sizeBytes,
  f.sha256 ?? null,
  f.state,
  Math.round(f.updatedAt),
  f.expireAt === undefined ? null : Math.round(f.expireAt),
];

export const FILE_COLUMNS =
  "id, project_id, display_name, mime_type, size_bytes, sha256, state, source, created_at, updated_at, expire_at";
